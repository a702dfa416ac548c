"""The shared top bar: title, experiment name, and the three pages."""

from __future__ import annotations

from dash import dcc, html

from components.shared import ids

PAGES = [("Overview", "/"), ("Behaviors", "/behaviors"), ("Layers", "/layers")]


def topbar(experiment_name: str) -> html.Header:
    """A dark 48 px bar; links are plain dcc.Links so navigation never reloads the page."""
    return html.Header(
        [
            dcc.Link("Compress & Compare", href="/", className="cc-brand"),
            html.Span(experiment_name, className="cc-experiment", title="experiment"),
            html.Nav([dcc.Link(label, href=href, className="cc-nav-link", id=f"nav-{label.lower()}")
                      for label, href in PAGES], className="cc-nav"),
        ],
        id=ids.TOPBAR,
        className="cc-topbar",
    )
