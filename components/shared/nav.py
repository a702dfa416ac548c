"""Hrefs of the app's pages, read from Dash's page registry (no path is written twice).

Why: a page's path is declared once, in its ``dash.register_page`` call; every link asks the
registry for it (and for the prefix a deploy behind a proxy adds) and appends the query that
``backend.viewstate.links`` builds.
"""

from __future__ import annotations

import dash

_FALLBACK = {"overview": "/", "behaviors": "/behaviors", "layers": "/layers"}


def page_path(page: str) -> str:
    """The registered path of ``pages/<page>.py`` (``overview``, ``behaviors``, ``layers``)."""
    entry = dash.page_registry.get(f"pages.{page}")
    path = entry["path"] if entry else _FALLBACK[page]
    try:
        return dash.get_relative_path(path)
    except Exception:  # noqa: BLE001  outside an app (builders tested alone): the bare path
        return path


def page_href(page: str, query: str = "") -> str:
    """The href of a page with a query string from ``backend.viewstate`` ('?a=1' or '')."""
    return page_path(page) + query


def page_of(pathname: str | None) -> str:
    """Which page a location's pathname shows ('overview' for anything unknown)."""
    for page in _FALLBACK:
        if pathname and pathname.rstrip("/") == page_path(page).rstrip("/"):
            return page
    return "overview"
