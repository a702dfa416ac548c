"""One snapshot file for an app URL (the CLI's ``--snapshot`` and the pages' Export button).

Why one entry: both ask "this URL, as a file", so the URL is read here once: its path picks
the page (``/``, ``/behaviors``, ``/layers``), its query is decoded as Dash decodes it, and the
page's own gatherer fills the sections. ``strict`` (the CLI) refuses a URL whose parts would be
ignored or whose model ids are unknown, with one line; the app's button keeps them as notices.
"""

from __future__ import annotations

import urllib.parse
from datetime import datetime
from pathlib import Path

from backend.experiment.loader import Experiment
from backend.snapshot import Snapshot, SnapshotError, render

ASSETS = Path(__file__).resolve().parent.parent / "assets"
STYLESHEETS = ("style.css", "behaviors.css", "layers.css", "annotations.css")
PAGES = {"/": "Overview", "/behaviors": "Behaviors", "/layers": "Layers"}


def split_url(url: str) -> tuple[str, dict[str, str | list[str]]]:
    """(page path, query as Dash hands it to a layout) of an app URL, a path or a bare query."""
    url = url.strip()
    if not url:
        raise SnapshotError("the snapshot URL is empty: give e.g. '/?sel=a,b'")
    if "?" not in url and "/" not in url and "=" in url:
        url = "/?" + url  # a bare query: the Overview's
    parts = urllib.parse.urlsplit(url)  # the module's: its own memo is not this module's state
    path = "/" + parts.path.strip("/") if parts.path.strip("/") else "/"
    if path not in PAGES:
        raise SnapshotError(f"the snapshot URL's page {parts.path!r} is not one of {', '.join(PAGES)}")
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    return path, {k: v[0] if len(v) == 1 else v for k, v in query.items()}


def _css() -> str:
    return "\n".join((ASSETS / name).read_text(encoding="utf-8") for name in STYLESHEETS
                     if (ASSETS / name).is_file())


def snapshot_html(experiment: Experiment, url: str, *, strict: bool = False,
                  now: datetime | None = None) -> str:
    """The self-contained HTML file of ``url``; SnapshotError (one line) on a bad URL when strict."""
    path, query = split_url(url)
    forest = experiment.forest
    figures: list[dict] = []
    if path == "/":
        from pages._snapshot_overview import overview_snapshot

        facts, notices, sections = overview_snapshot(forest, query, figures)
    else:
        from pages._snapshot_details import detail_snapshot

        facts, notices, sections = detail_snapshot(path, forest, query, figures)
    if strict and notices:
        raise SnapshotError(notices[0])

    return render(Snapshot(
        experiment=forest.name, page=PAGES[path], url=url.strip(),
        exported=(now or datetime.now().astimezone()), facts=facts, notices=notices,
        sections=sections, figures=figures, css=_css(),
    ))
