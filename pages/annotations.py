"""Annotations: every review note of the experiment, filtered by status or model, with CSV export.

``/annotations?status=regression&model=p50`` filters; the export link carries the same filter to
``/_cc/annotations.csv`` (server/annotations_api.py). Notes are shown as text cells, never markup.
"""

from __future__ import annotations

import urllib.parse

import dash
from dash import dcc, html

from components.shared import ids
from components.shared.notes import status_class
from server import annotations as notes_server

dash.register_page(__name__, path="/annotations", title="Annotations · Compress & Compare",
                   name="Annotations")

COLUMNS = ("Model", "Status", "Note", "Author", "Scope", "Updated (UTC)")


def _href(path: str, **query: str) -> str:
    text = urllib.parse.urlencode({k: v for k, v in query.items() if v})
    return dash.get_relative_path(path) + (f"?{text}" if text else "")


def _row(note) -> html.Tr:
    model = note.model_id if note.instance_id is None else f"{note.model_id} · instance {note.instance_id}"
    return html.Tr([html.Td(model), html.Td(html.Span(note.status, className=status_class(note.status))),
                    html.Td(note.note, className="cc-note-text"), html.Td(note.author), html.Td(note.scope),
                    html.Td(f"{note.updated_at:%Y-%m-%d %H:%M}")])


def layout(status: str = "", model: str = "", **_other: str) -> html.Div:
    """The list for the URL's filter (unknown query keys are ignored)."""
    status, model = (status or "")[:64], (model or "")[:512]
    heading = html.H2("Annotations")
    try:
        store = notes_server.store()
        notes = store.list(status=status or None, model_id=model or None)
    except Exception as exc:  # noqa: BLE001  the database is down: its one line, the app keeps serving
        if not notes_server.is_unavailable(exc):
            raise
        return html.Div([heading, html.P(str(exc), className="cc-warn cc-notes-problem")],
                        className="cc-placeholder cc-wide")
    filters = html.P(
        ["Status: ", dcc.Link("all", href=_href("/annotations", model=model))]
        + [dcc.Link(s, href=_href("/annotations", status=s, model=model)) for s in store.statuses],
        className="cc-annotations-filters",
    )
    shown = (f"{len(notes)} note{'s' if len(notes) != 1 else ''}"
             + (f" with status {status}" if status else "") + (f" on {model}" if model else ""))
    table = html.Table([html.Thead(html.Tr([html.Th(c) for c in COLUMNS])),
                        html.Tbody([_row(n) for n in reversed(notes)])],
                       id=ids.AN_TABLE, className="cc-annotations-table")
    export = html.A("Export CSV", href=_href("/_cc/annotations.csv", status=status, model=model),
                    id=ids.AN_EXPORT, download="annotations.csv", className="cc-button")
    return html.Div([heading, filters, html.P([shown, " · ", export]), table],
                    className="cc-placeholder cc-wide")
