"""Callbacks of the Behaviors page: thin wiring between the controls, the URL and the backend.

One store holds the view (``ids.BH_STATE``); two small keys derived from it decide what must be
redrawn: the rows (a new key remounts the infinite grid, which then asks for page 0) and the
histograms (not redrawn by brushing, so a drag is never interrupted).
"""

from __future__ import annotations

import time

from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from backend.behaviors import FAILURES, flip_matrix, significance
from backend.viewstate.behaviors import (
    apply_action,
    grid_pos,
    pending_page,
    pos_sort,
    redraw_keys,
    view_from_dict,
    view_to_dict,
    with_pos,
)
from components.behaviors.events import action_of
from components.behaviors.grid import request_page
from components.behaviors.layout import empty_figure
from components.behaviors.sections import grid_rows, head_section, not_ready, rows_section
from components.behaviors.toolbar import HIDDEN, filter_chips, toolbar_state
from components.shared import ids
from pages import _behaviors_data as bd

EMPTY_PAGE = {"rowData": [], "rowCount": 0}


@callback(
    Output(ids.BH_STATE, "data"),
    Output(ids.BH_GRIDKEY, "data"),
    Output(ids.BH_HEADKEY, "data"),
    Output(ids.BH_LEVEL, "children"),
    Output(f"{ids.BH_CLASS}-box", "style"),
    Output(ids.BH_CLASS, "value"),
    Output(ids.BH_WRONG, "value"),
    Input(ids.BH_LEVEL, "n_clicks"),
    Input(ids.BH_CLASS, "value"),
    Input(ids.BH_COMPARISON, "value"),
    Input(ids.BH_MODE, "value"),
    Input(ids.BH_WRONG, "value"),
    Input(ids.BH_CLEAR, "n_clicks"),
    Input(ids.BH_PAIR_CLEAR, "n_clicks"),
    Input({"type": ids.BH_HIST, "model": ALL}, "selectedData"),
    Input({"type": ids.BH_GRID, "key": ALL}, "cellClicked"),
    Input(ids.BH_FLIPS, "clickData"),
    Input(ids.BH_READY, "data"),
    State(ids.BH_STATE, "data"),
    State(ids.BH_GRIDKEY, "data"),
    State(ids.BH_HEADKEY, "data"),
)
def update_state(*args):
    """Every control feeds one pure reducer; derived keys change only when their inputs do."""
    state, grid_key, head_key = args[-3:]
    view = view_from_dict(state)
    trigger = ctx.triggered_id
    fresh = trigger == ids.BH_READY  # predictions just arrived: redraw everything
    if trigger is not None and not fresh:
        view = apply_action(view, *action_of(trigger, ctx.triggered[0]["value"] if ctx.triggered else None))
    rows, head = redraw_keys(view, grid_key, head_key, fresh)
    return view_to_dict(view), rows or no_update, head or no_update, *toolbar_state(view)


@callback(
    Output(ids.BH_SUMMARY, "children"),
    Output(ids.BH_TABLE, "children"),
    Output(ids.BH_EMPTY, "children"),
    Output(ids.BH_FILTERS, "children"),
    Output(ids.BH_TOOLBAR, "style"),
    Output(ids.BH_EXTRAS, "style"),
    Input(ids.BH_GRIDKEY, "data"),
    State(ids.BH_STATE, "data"),
    State(ids.BH_POS, "data"),
)
def render_rows(_key, state, pos):
    """The Dataset summary and a fresh grid whenever what the rows depend on changes."""
    view = view_from_dict(state)
    try:
        if not bd.ready(view):
            return None, None, not_ready(), None, HIDDEN, HIDDEN
        d, result = bd.run(view)
        sig = significance(d)
    except FAILURES as exc:
        return None, None, not_ready(str(exc)), None, HIDDEN, HIDDEN
    summary, table = rows_section(view, d.comparisons[view.comparison], result, sig, pos_sort(pos))
    return summary, table, None, filter_chips(view, d.class_names), {}, {}


@callback(
    Output(ids.BH_HISTS, "children"),
    Output(ids.BH_FLIPS, "figure"),
    Output(ids.BH_ATTRIBUTION, "children"),
    Input(ids.BH_HEADKEY, "data"),
    State(ids.BH_STATE, "data"),
)
def render_head(_key, state):
    """Histograms (class-filtered, never brushed), the flip matrix and the attribution."""
    view = view_from_dict(state)
    try:
        if not bd.ready(view):
            return None, empty_figure(), None
        d, result = bd.run(view)
        attributions = bd.attribution(view)
    except FAILURES as exc:
        return html.P(str(exc), className="cc-error"), no_update, None
    return head_section(view, d.comparisons[view.comparison], result, flip_matrix(d), attributions)


@callback(
    Output({"type": ids.BH_GRID, "key": ALL}, "getRowsResponse"),
    Output({"type": ids.BH_GRID, "key": ALL}, "paginationGoTo"),
    Output(ids.BH_POS, "data"),
    Input({"type": ids.BH_GRID, "key": ALL}, "getRowsRequest"),
    State(ids.BH_STATE, "data"),
    State(ids.BH_POS, "data"),
    prevent_initial_call=True,
)
def serve_rows(requests, state, pos):
    """One 50-row page for the grid, sorted and filtered on the server; a bookmark's page is
    restored by the first answer (``pending_page``), and the position kept until then."""
    if not requests or not requests[-1]:
        raise PreventUpdate
    view = view_from_dict(state)
    sort, page = request_page(requests[-1], view.models)
    restore = pending_page(pos, page)
    go_to = [restore or no_update] * len(requests)
    try:
        d, result = bd.run(view, sort, page)
    except FAILURES:
        return [EMPTY_PAGE] * len(requests), go_to, no_update
    rows = grid_rows(view, d.comparisons[view.comparison], result, bd.render_instance)
    response = {"rowData": rows, "rowCount": result.total}
    return [response] * len(requests), go_to, no_update if restore else grid_pos(sort, result.page)


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    Input(ids.BH_STATE, "data"),
    Input(ids.BH_POS, "data"),
    prevent_initial_call=True,
)
def write_url(state, pos):
    """Every change of the view is written to the query string (a bookmark restores it)."""
    return with_pos(view_from_dict(state), pos).to_query()


@callback(
    Output(ids.BH_DOWNLOAD, "data"),
    Input(ids.BH_EXPORT, "n_clicks"),
    State(ids.BH_STATE, "data"),
    State(ids.BH_POS, "data"),
    prevent_initial_call=True,
)
def export_csv(_clicks, state, pos):
    """Every filtered row (not only the visible page) as CSV."""
    try:
        text, filename = bd.export_csv(view_from_dict(state), pos_sort(pos))
    except FAILURES:
        raise PreventUpdate from None
    return dcc.send_string(text, filename)


@callback(
    Output(ids.BH_READY, "data"),
    Output(ids.BH_STATUS, "children"),
    Input(ids.BH_LOAD, "n_clicks"),
    State(ids.BH_STATE, "data"),
    background=True,
    prevent_initial_call=True,
    progress=[Output(ids.BH_PROGRESS, "value"), Output(ids.BH_PROGRESS, "max")],
    running=[
        (Output(ids.BH_LOAD, "disabled"), True, False),
        (Output(ids.BH_CANCEL, "disabled"), False, True),
    ],
    cancel=[Input(ids.BH_CANCEL, "n_clicks")],
)
def load_predictions(set_progress, _clicks: int, state: dict) -> tuple:
    """Compute (or read) predictions of the compared models and their paths, with progress."""
    try:
        seconds = bd.load_predictions(view_from_dict(state),
                                      lambda done, total: set_progress((str(done), str(total))))
    except FAILURES as exc:
        return no_update, str(exc)
    return time.time(), f"Predictions ready in {seconds:.1f} s."
