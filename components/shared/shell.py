"""The shared top bar: title, experiment name, and the three pages."""

from __future__ import annotations

from dash import dcc, html

from components.shared import ids
from components.shared.nav import page_path

PAGES = [("Overview", "overview"), ("Behaviors", "behaviors"), ("Layers", "layers")]
NAV_IDS = {page: f"nav-{page}" for _, page in PAGES}  # hrefs carry the compared models (pages/_shell.py)


def _annotations_path() -> str:
    """The review notes' list page (pages/annotations.py), from the registry where it is registered."""
    import dash

    entry = dash.page_registry.get("pages.annotations")
    try:
        return dash.get_relative_path(entry["path"] if entry else "/annotations")
    except Exception:  # noqa: BLE001  outside an app (builders tested alone): the bare path
        return "/annotations"


def topbar(experiment_name: str, hrefs: list[str] | None = None) -> html.Header:
    """A dark 48 px bar; links are plain dcc.Links so navigation never reloads the page.

    ``hrefs`` are the three pages' links for the URL shown (pages/_shell.nav_hrefs), else bare.
    """
    hrefs = hrefs or [page_path(page) for _, page in PAGES]
    return html.Header(
        [
            dcc.Link("Compress & Compare", href=page_path("overview"), className="cc-brand"),
            html.Span(experiment_name, className="cc-experiment", title="experiment"),
            html.Nav([dcc.Link(label, href=href, className="cc-nav-link", id=NAV_IDS[page])
                      for (label, page), href in zip(PAGES, hrefs, strict=True)], className="cc-nav"),
            dcc.Link("Annotations", href=_annotations_path(), className="cc-nav-link",
                     id=ids.NAV_ANNOTATIONS),
            html.Button("Export snapshot", id=ids.SNAPSHOT, n_clicks=0, className="cc-nav-link cc-snapshot",
                        title="Download this view as one HTML file that opens without the server"),
            dcc.Download(id=ids.SNAPSHOT_DOWNLOAD),
        ],
        id=ids.TOPBAR,
        className="cc-topbar",
    )
