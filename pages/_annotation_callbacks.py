"""Callbacks of the Overview's review notes: the section follows the selection; Save stores a note
as the signed-in user and redraws the list (a refused note or a database that is down: one line)."""

from __future__ import annotations

from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    no_update,
)
from dash.exceptions import PreventUpdate

from components.overview.annotations import note_list
from components.shared import ids
from pages._annotation_data import delete_own, model_flags, panel_for
from server import annotations as notes_server
from server.context import experiment


@callback(Output(ids.OV_NOTES, "children"), Input(ids.OV_SELECTION, "data"), prevent_initial_call=True)
def notes_section(selection: list[str] | None) -> list:
    """One selected model: its notes and the form (the layout drew the first)."""
    forest = experiment().forest
    return panel_for([m for m in selection or [] if m in forest])


@callback(
    Output(ids.OV_NOTE_LIST, "children"),
    Output(ids.OV_NOTE_MESSAGE, "children"),
    Output(ids.OV_NOTE_TEXT, "value"),
    Output(ids.OV_FLAGS, "data"),
    Input(ids.OV_NOTE_SAVE, "n_clicks"),
    State(ids.OV_NOTE_STATUS, "value"),
    State(ids.OV_NOTE_TEXT, "value"),
    State(ids.OV_SELECTION, "data"),
    prevent_initial_call=True,
)
def save_note(clicks: int, status: str | None, text: str | None, selection: list[str] | None) -> tuple:
    """Store the note on the one selected model; the form keeps the text when it is refused."""
    if not clicks:
        raise PreventUpdate
    if not selection or len(selection) != 1 or selection[0] not in experiment().forest:
        return no_update, "Select one model to annotate it.", no_update, no_update
    model = selection[0]
    try:
        store = notes_server.store()
        from backend.annotations import AnnotationError  # importable once the store opened

        try:
            store.add(model, status or "", text or "", notes_server.current_user())
        except AnnotationError as exc:
            return no_update, str(exc), no_update, no_update
        return (note_list(store.list(model_id=model, target="model"), ids.OV_NOTE_DELETE,
                          notes_server.current_user()), f"Saved ({status}).", "", store.model_statuses())
    except Exception as exc:  # noqa: BLE001  the database is down: one line, the text kept
        if not notes_server.is_unavailable(exc):
            raise
        return no_update, str(exc), no_update, no_update


@callback(
    Output(ids.OV_NOTE_LIST, "children", allow_duplicate=True),
    Output(ids.OV_NOTE_MESSAGE, "children", allow_duplicate=True),
    Output(ids.OV_FLAGS, "data", allow_duplicate=True),
    Input({"type": ids.OV_NOTE_DELETE, "id": ALL}, "n_clicks"),
    State(ids.OV_SELECTION, "data"),
    prevent_initial_call=True,
)
def delete_note(_clicks: list, selection: list[str] | None) -> tuple:
    """Delete one of your notes: the list again and the line saying what happened (the form's
    text is kept)."""
    if not ctx.triggered or not ctx.triggered[0]["value"] or not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate  # the list was drawn (new buttons), nothing pressed
    line = delete_own(ctx.triggered_id.get("id"))
    models = [m for m in selection or [] if m in experiment().forest]
    if len(models) != 1:
        return no_update, line, model_flags()
    try:
        store = notes_server.store()
        notes = note_list(store.list(model_id=models[0], target="model"), ids.OV_NOTE_DELETE,
                          notes_server.current_user())
    except Exception as exc:  # noqa: BLE001  the database went down: its line
        if not notes_server.is_unavailable(exc):
            raise
        return no_update, str(exc), no_update
    return notes, line, model_flags()


clientside_callback(  # rings on the map's flagged nodes, again whenever the map's elements change
    ClientsideFunction("ccNotes", "flagMap"),
    Output(ids.OV_FLAGS_DRAWN, "children"),
    Input(ids.OV_FLAGS, "data"),
    Input(ids.OV_MAP, "elements"),
    State(ids.OV_MAP, "id"),
)
