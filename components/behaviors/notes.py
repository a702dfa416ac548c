"""The Behaviors page's instance notes card: the notes on one instance and a form to add one.

Drawn once with the page (hidden); pressing an instance row's "Note" button fills it for that
instance. A note is kept for the comparison on screen or for every comparison (global: a bad
label is bad everywhere). Notes are inert text (``components.shared.notes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dash import dcc, html

from components.shared import ids
from components.shared.notes import note_list
from components.shared.store import store

if TYPE_CHECKING:
    from backend.annotations import Annotation

HIDDEN = {"display": "none"}
HERE, EVERYWHERE = "comparison", "global"


def where_options() -> list[dict]:
    """Where a new note applies."""
    return [{"label": "this comparison", "value": HERE}, {"label": "every comparison", "value": EVERYWHERE}]


def heading(instance: str | None, label: str | None = None) -> list:
    """The card's title: which instance (and its label, when known)."""
    if instance is None:
        return []
    return [html.H4(["Review notes on instance ", html.Code(instance)]),
            *([html.Span(f"Label: {label}", className="cc-hint")] if label else [])]


def notes_or_problem(notes: Sequence[Annotation] | None, problem: str | None = None,
                     user: str | None = None) -> list:
    """The notes, newest first (``user``'s with a Delete button); or the one line saying why they
    cannot be read."""
    if problem is not None:
        return [html.P(problem, className="cc-warn cc-notes-problem")]
    return note_list(notes or [], ids.BH_NOTE_DELETE, user)


def notes_card(statuses: Sequence[str]) -> html.Div:
    """The hidden card with its form; the callbacks set the instance, the list and the message."""
    return html.Div([
        store(ids.BH_NOTE_INSTANCE),  # None left out: no change reported on mount
        dcc.Store(id=ids.BH_NOTE_SAVED, data=0),
        html.Div(id=ids.BH_NOTE_REFRESHED, style=HIDDEN),
        html.Button("×", id=ids.BH_NOTE_CLOSE, n_clicks=0, className="cc-button bh-notes-close",
                    title="Close the notes"),
        html.Div(id=ids.BH_NOTE_HEAD, className="bh-notes-head"),
        html.Div(id=ids.BH_NOTE_LIST, className="cc-notes"),
        html.Div([
            dcc.Dropdown(id=ids.BH_NOTE_STATUS, options=list(statuses),
                         value=statuses[0] if statuses else None, clearable=False,
                         className="cc-note-status"),
            dcc.RadioItems(id=ids.BH_NOTE_WHERE, options=where_options(), value=HERE, inline=True,
                           className="cc-toggle bh-note-where"),
            dcc.Textarea(id=ids.BH_NOTE_TEXT, value="", placeholder="A note on this instance",
                         maxLength=10_000, className="cc-note-input"),
            html.Button("Save", id=ids.BH_NOTE_SAVE, n_clicks=0, className="cc-button"),
            html.Div(id=ids.BH_NOTE_MESSAGE, className="cc-hint"),
        ], className="cc-note-form"),
    ], id=ids.BH_NOTES, className="cc-card bh-notes", style=HIDDEN)
