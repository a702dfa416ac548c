"""Behaviors: predictions of up to 16 models against a base, computed and queried on the server.

The URL holds the whole view (``backend.viewstate.behaviors``); the layout reads it once and
draws what is cached (first render, no callback, no job); callbacks in
``pages/_behaviors_callbacks.py`` keep the view in a store and write it back.
"""

from __future__ import annotations

import dash
from dash import html

from backend.viewstate.behaviors import head_key, initial_pos, rows_key
from components.behaviors.layout import Slots, page_layout, placeholder
from pages import _behaviors_callbacks as cb
from pages import _behaviors_data as bd
from pages import _behaviors_notes  # noqa: F401  the instance notes' callbacks

dash.register_page(__name__, path="/behaviors", title="Behaviors · Compress & Compare", name="Behaviors")


def layout(**query: str) -> html.Div:
    """Models, base and the view from the URL; cached predictions are drawn at once."""
    opened = bd.open_view(query)
    if opened.view is None:
        return placeholder(opened.notices, opened.error)
    view = opened.view
    slots = Slots(*cb.rows_slots(view, initial_pos(view)), *cb.head_slots(view),
                  rows_key(view), head_key(view))
    return page_layout(view, opened.notices, opened.comparisons, opened.class_names,
                       opened.relative_only, slots, bd.statuses())
