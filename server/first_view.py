"""The first view in one round trip: ``_dash-layout`` already holds the page the browser asked for.

Why: with Dash Pages the initial layout is an empty page container. The browser's
``dcc.Location`` then reports the URL, Dash's router callback sends the page (a second round
trip before anything is drawn), and every callback whose inputs arrive with it fires, because
components inserted by a callback count as new. The renderer fetches ``_dash-layout`` from the
page itself, so that request's Referer is the page's URL: the layout is rendered for it, the
page goes into the container, and both Locations are given that URL, so they report no change
on mount, the router does not run, and ``prevent_initial_call`` holds for the page's callbacks.

Without a usable Referer (a privacy setting, a proxy that rewrites the host, an unknown path)
the empty container is served as before and the router fills it. This module reads Dash's
page registry and routing helpers (``dash._pages``), as Dash's own router does; it is the one
place that does.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

import dash
from dash import dcc, html
from dash._pages import _parse_query_string, _path_to_page
from flask import has_request_context, request

from components.shared import ids
from components.shared.shell import topbar
from server.log import log

# Dash's page container ids (dash.dash._ID_*): the router callback reads and writes these
LOCATION, CONTENT, STORE, DUMMY = "_pages_location", "_pages_content", "_pages_store", "_pages_dummy"


def requested_url() -> tuple[str, str] | None:
    """(pathname, search) of the page whose renderer asks for ``_dash-layout``, or None."""
    if not has_request_context() or not request.path.endswith("/_dash-layout") or not request.referrer:
        return None
    ref = urllib.parse.urlsplit(request.referrer)
    if ref.netloc != request.host:
        return None
    return ref.path or "/", f"?{ref.query}" if ref.query else ""


def render_page(app: dash.Dash, pathname: str, search: str) -> tuple[object, str] | None:
    """The registered page's layout and title for a URL, as Dash's router makes them; None if none."""
    page, variables = _path_to_page(app.strip_relative_path(pathname))
    if not page:
        return None
    query = _parse_query_string(search)
    layout, title = page.get("layout", ""), page["title"]
    if callable(layout):
        layout = layout(**{**(variables or {}), **query})
    if callable(title):
        title = title(**(variables or {}))
    return layout, title


def shell(experiment_name: str, container: html.Div, url: tuple[str, str] | None = None,
          hrefs: list[str] | None = None) -> html.Div:
    """The app's frame: the URL's Location, the top bar, the notice line and the page."""
    where = {"pathname": url[0], "search": url[1]} if url else {}
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False, **where),
        topbar(experiment_name, hrefs),
        html.Div(id=ids.NOTICE, className="cc-notice"),
        html.Main(container, className="cc-page"),
    ], className="cc-app")


def app_layout(app: dash.Dash, experiment_name: str,
               hrefs: Callable[[str, str], list[str]]) -> Callable[[], html.Div]:
    """``app.layout``: the page for the requested URL in its container, else the empty container.

    ``hrefs(pathname, search)`` gives the top bar's links for the URL (pages/_shell.nav_hrefs).
    """

    def layout() -> html.Div:
        url = requested_url()
        first, nav = None, None
        if url is not None:
            try:
                first = render_page(app, *url)
                nav = hrefs(*url)
            except Exception as exc:  # noqa: BLE001  the router renders it again and reports it
                first = None
                log(f"warning: first view of {url[0]}{url[1]} failed ({type(exc).__name__}: {exc}); "
                    "the page loads through the router")
        if first is None or url is None:
            return shell(experiment_name, dash.page_container)
        content, title = first
        container = html.Div([
            dcc.Location(id=LOCATION, refresh="callback-nav", pathname=url[0], search=url[1]),
            html.Div(content, id=CONTENT, disable_n_clicks=True),
            dcc.Store(id=STORE, data={"title": title}),
            html.Div(id=DUMMY, disable_n_clicks=True),
        ])
        return shell(experiment_name, container, url, nav)

    return layout
