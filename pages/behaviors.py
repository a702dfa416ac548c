"""Behaviors: predictions of up to 16 models against a base, computed and queried on the server.

The URL holds the whole view (``backend.viewstate.behaviors``); the layout reads it once,
callbacks in ``pages/_behaviors_callbacks.py`` keep it in a store and write it back.
"""

from __future__ import annotations

import dash
from dash import html

from components.behaviors.layout import page_layout, placeholder
from pages import _behaviors_callbacks  # noqa: F401  (registers the callbacks)
from pages import _behaviors_data as bd

dash.register_page(__name__, path="/behaviors", title="Behaviors · Compress & Compare", name="Behaviors")


def layout(**query: str) -> html.Div:
    """Models, base and the view from the URL; cached predictions show at once."""
    opened = bd.open_view(query)
    if opened.view is None:
        return placeholder(opened.notices, opened.error)
    return page_layout(opened.view, opened.notices, opened.comparisons, opened.class_names)

