"""The review-notes section under the selected model's info card: its notes and a small form.

Notes are free text typed by anyone on the team, so they are only ever children strings (React
renders them as text, never HTML or markdown); the stylesheet keeps their line breaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dash import dcc, html

from components.shared import ids
from components.shared.notes import note_item, note_list, status_class

__all__ = ["note_item", "note_list", "notes_panel", "status_class"]

if TYPE_CHECKING:  # the builders need no database driver installed
    from backend.annotations import Annotation


def notes_panel(model_id: str | None, notes: Sequence[Annotation] | None, statuses: Sequence[str],
                problem: str | None = None, user: str | None = None) -> list:
    """The section for one selected model (nothing for none or several); ``problem``: the one
    line saying why the notes cannot be shown (the database is down), shown instead."""
    if model_id is None:
        return []
    heading = html.H4("Review notes", className="cc-notes-heading")
    if problem is not None:
        return [heading, html.P(problem, className="cc-warn cc-notes-problem")]
    form = html.Div(
        [dcc.Dropdown(id=ids.OV_NOTE_STATUS, options=list(statuses), value=statuses[0] if statuses else None,
                      clearable=False, className="cc-note-status"),
         dcc.Textarea(id=ids.OV_NOTE_TEXT, value="", placeholder=f"A note on {model_id}",
                      maxLength=10_000, className="cc-note-input"),
         html.Button("Save", id=ids.OV_NOTE_SAVE, n_clicks=0, className="cc-button"),
         html.Div(id=ids.OV_NOTE_MESSAGE, className="cc-hint")],
        className="cc-note-form",
    )
    return [heading, html.Div(note_list(notes or [], ids.OV_NOTE_DELETE, user), id=ids.OV_NOTE_LIST), form]
