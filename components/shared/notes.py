"""Review notes as the pages show them: a status badge, a note with its author and time, a list.

Notes are free text typed by anyone on the team, so they are only ever children strings (React
renders them as text, never HTML or markdown); the stylesheet keeps their line breaks. Shared by
the Overview's info card, the Behaviors instance notes and the list page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dash import html

from backend.snapshot.notes import flag_class as status_class

if TYPE_CHECKING:  # the builders need no database driver installed
    from backend.annotations import Annotation


def note_item(note: Annotation) -> html.Li:
    """One note: its status, author and time, then its text (inert)."""
    where = "" if note.scope == "global" else f" · in {note.scope}"
    what = f" · instance {note.instance_id}" if note.instance_id is not None else ""
    return html.Li(
        [html.Span(note.status, className=status_class(note.status)),
         html.Span(f" {note.author} · {note.updated_at:%Y-%m-%d %H:%M} UTC{what}{where}",
                   className="cc-note-meta"),
         html.Div(note.note, className="cc-note-text")],
        className="cc-note",
    )


def note_list(notes: Sequence[Annotation]) -> list:
    """The notes, newest first, or a hint when there are none."""
    if not notes:
        return [html.P("No review notes yet.", className="cc-hint")]
    return [html.Ul([note_item(n) for n in reversed(notes)], className="cc-note-list")]
