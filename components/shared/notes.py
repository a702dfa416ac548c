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


def note_item(note: Annotation, delete_type: str | None = None) -> html.Li:
    """One note: its status, author and time, then its text (inert); ``delete_type``: the id type
    of its Delete button (None: no button)."""
    where = "" if note.scope == "global" else f" · in {note.scope}"
    what = f" · instance {note.instance_id}" if note.instance_id is not None else ""
    delete = ([html.Button("Delete", id={"type": delete_type, "id": note.id}, n_clicks=0,
                           className="cc-note-delete", title="Delete this note (you wrote it)")]
              if delete_type else [])
    return html.Li(
        [html.Span(note.status, className=status_class(note.status)),
         html.Span(f" {note.author} · {note.updated_at:%Y-%m-%d %H:%M} UTC{what}{where}",
                   className="cc-note-meta"),
         *delete,
         html.Div(note.note, className="cc-note-text")],
        className="cc-note",
    )


def note_list(notes: Sequence[Annotation], delete_type: str | None = None, user: str | None = None) -> list:
    """The notes, newest first, or a hint when there are none; the notes ``user`` wrote get a
    Delete button of ``delete_type`` (a note is removed by its author only)."""
    if not notes:
        return [html.P("No review notes yet.", className="cc-hint")]
    return [html.Ul([note_item(n, delete_type if user is not None and n.author == user else None)
                     for n in reversed(notes)], className="cc-note-list")]
