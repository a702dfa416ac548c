"""Callbacks of the Behaviors instance notes: an instance row's Note button opens the card on that
instance; Save stores the note as the signed-in user (kept for this comparison or globally) and
the grid redraws its rows so the badge appears (a refused note or a database that is down: one
line, the text kept)."""

from __future__ import annotations

import time

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

from backend.behaviors.flags import GLOBAL
from backend.viewstate.behaviors import view_from_dict
from components.behaviors.notes import EVERYWHERE, HIDDEN, heading, notes_or_problem
from components.shared import ids
from pages import _behaviors_data as bd
from pages._annotation_data import delete_own
from server import annotations as notes_server


def _notes(view, instance: str) -> list:
    """The card's list for one instance, or its one line when the store cannot be read."""
    try:
        return notes_or_problem(bd.instance_notes(view, instance), user=notes_server.current_user())
    except Exception as exc:  # noqa: BLE001  Unavailable / AnnotationsUnavailable
        if not notes_server.is_unavailable(exc):
            raise
        return notes_or_problem(None, str(exc))


@callback(
    Output(ids.BH_NOTE_INSTANCE, "data"),
    Output(ids.BH_NOTES, "style"),
    Output(ids.BH_NOTE_HEAD, "children"),
    Output(ids.BH_NOTE_LIST, "children"),
    Output(ids.BH_NOTE_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.BH_GRID, "key": ALL}, "cellRendererData"),
    Input(ids.BH_NOTE_CLOSE, "n_clicks"),
    State(ids.BH_STATE, "data"),
    prevent_initial_call=True,
)
def open_notes(_pressed, _closed, state):
    """The card follows the last Note pressed; × hides it."""
    if ctx.triggered_id == ids.BH_NOTE_CLOSE:
        return None, HIDDEN, [], [], ""
    pressed = ctx.triggered[0]["value"] if ctx.triggered else None
    value = pressed.get("value") if isinstance(pressed, dict) else None
    instance = value.get("instance") if isinstance(value, dict) else None
    if not isinstance(instance, str) or not instance:
        raise PreventUpdate  # a grid remounted (no press yet)
    label = value.get("label")
    view = view_from_dict(state)
    return (instance, {}, heading(instance, label if isinstance(label, str) else None),
            _notes(view, instance), "")


@callback(
    Output(ids.BH_NOTE_LIST, "children", allow_duplicate=True),
    Output(ids.BH_NOTE_MESSAGE, "children", allow_duplicate=True),
    Output(ids.BH_NOTE_TEXT, "value"),
    Output(ids.BH_NOTE_SAVED, "data"),
    Output(ids.BH_READY, "data", allow_duplicate=True),
    Input(ids.BH_NOTE_SAVE, "n_clicks"),
    State(ids.BH_NOTE_INSTANCE, "data"),
    State(ids.BH_NOTE_STATUS, "value"),
    State(ids.BH_NOTE_WHERE, "value"),
    State(ids.BH_NOTE_TEXT, "value"),
    State(ids.BH_STATE, "data"),
    State(ids.BH_GRIDKEY, "data"),
    prevent_initial_call=True,
)
def save_note(clicks, instance, status, where, text, state, grid_key):
    """Store the note on the open instance (model: the comparison's base). A view filtered by
    review status redraws whole (the rows may change); otherwise the grid refetches its pages."""
    if not clicks:
        raise PreventUpdate
    if not instance:
        return no_update, "Press Note on an instance row first.", no_update, no_update, no_update
    view = view_from_dict(state)
    try:
        store = notes_server.store()
        from backend.annotations import AnnotationError  # importable once the store opened

        try:
            store.add(view.base or view.models[0], status or "", text or "", notes_server.current_user(),
                      target="instance", instance_id=instance,
                      scope=GLOBAL if where == EVERYWHERE else bd.scope(view))
        except AnnotationError as exc:
            return no_update, str(exc), no_update, no_update, no_update
    except Exception as exc:  # noqa: BLE001  the database is down: one line, the text kept
        if not notes_server.is_unavailable(exc):
            raise
        return no_update, str(exc), no_update, no_update, no_update
    return (_notes(view, instance), f"Saved ({status}).", "", *_redraw(view, grid_key))


@callback(
    Output(ids.BH_NOTE_LIST, "children", allow_duplicate=True),
    Output(ids.BH_NOTE_MESSAGE, "children", allow_duplicate=True),
    Output(ids.BH_NOTE_SAVED, "data", allow_duplicate=True),
    Output(ids.BH_READY, "data", allow_duplicate=True),
    Input({"type": ids.BH_NOTE_DELETE, "id": ALL}, "n_clicks"),
    State(ids.BH_NOTE_INSTANCE, "data"),
    State(ids.BH_STATE, "data"),
    State(ids.BH_GRIDKEY, "data"),
    prevent_initial_call=True,
)
def delete_note(_clicks, instance, state, grid_key):
    """Delete one of your notes on the open instance; the rows redraw as after a save."""
    if not ctx.triggered or not ctx.triggered[0]["value"] or not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate  # the list was drawn (new buttons), nothing pressed
    line = delete_own(ctx.triggered_id.get("id"))
    view = view_from_dict(state)
    redraw = _redraw(view, grid_key)
    return (_notes(view, instance) if instance else no_update), line, *redraw


def _redraw(view, grid_key) -> tuple:
    """(grid refresh, whole redraw): a view filtered by review status redraws whole (its rows may
    change); otherwise the grid asks again for the pages it holds."""
    if view.flagged:
        return no_update, time.time()
    return {"at": time.time(), "grid": {"type": ids.BH_GRID, "key": grid_key}}, no_update


clientside_callback(  # the grid asks again for the pages it holds: the new badge shows in place
    ClientsideFunction("ccNotes", "refreshGrid"),
    Output(ids.BH_NOTE_REFRESHED, "children"),
    Input(ids.BH_NOTE_SAVED, "data"),
    prevent_initial_call=True,
)
