"""Filter tab callbacks: brushes and budgets become one mask.

The passing ids go to ``ids.OV_FILTERED``; the map fades the others (clientside), the
scatterplot dims them, and the selection keeps only passing models (spec §1.6).
"""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx
from dash.exceptions import PreventUpdate

from backend.overview import actions
from components.shared import ids
from pages import _overview_outputs as outputs
from pages._overview_forest import view_forest

ROW_ACTIONS = {
    ids.OV_FILTER_ADD: actions.ADD,
    ids.OV_FILTER_CLEAR: actions.CLEAR,
    ids.OV_FILTER_REMOVE: actions.REMOVE,
    ids.OV_FILTER_UNBRUSH: actions.UNBRUSH,
    ids.OV_FILTER_METRIC: actions.METRIC,
    ids.OV_FILTER_HIST: actions.BRUSH,
}


@callback(
    Output(ids.OV_FILTER_ROWS, "data"),
    Input(ids.OV_FILTER_ADD, "n_clicks"),
    Input(ids.OV_FILTER_CLEAR, "n_clicks"),
    Input({"type": ids.OV_FILTER_REMOVE, "index": ALL}, "n_clicks"),
    Input({"type": ids.OV_FILTER_UNBRUSH, "index": ALL}, "n_clicks"),
    Input({"type": ids.OV_FILTER_METRIC, "index": ALL}, "value"),
    Input({"type": ids.OV_FILTER_HIST, "index": ALL}, "selectedData"),
    State(ids.OV_FILTER_ROWS, "data"),
    State(ids.OV_DERIVED, "data"),
    prevent_initial_call=True,
)
def edit_rows(
    _a: int, _c: int, _r: list, _u: list, _m: list, _b: list, rows: list[dict] | None, derived: list | None
) -> list[dict]:
    """Add, clear, remove, unbrush, change metric, or brush one filter row."""
    if not ctx.triggered or ctx.triggered[0]["value"] in (None, 0):
        raise PreventUpdate  # a pane re-render re-creates components: not a user action
    trigger = ctx.triggered_id
    kind, index = (trigger["type"], trigger["index"]) if isinstance(trigger, dict) else (trigger, None)
    value = ctx.triggered[0]["value"]
    new = actions.next_rows(view_forest(derived), rows or [], ROW_ACTIONS[kind], index, value)
    if new == rows:
        raise PreventUpdate
    return new


@callback(
    Output(ids.OV_FILTERED, "data"),
    Input(ids.OV_FILTER_ROWS, "data"),
    Input(ids.OV_BUDGETS, "data"),
    State(ids.OV_DERIVED, "data"),
    prevent_initial_call=True,  # the layout holds the first answer (pages/_overview_outputs.py)
)
def filtered(rows: list[dict], budgets: list[dict], derived: list | None) -> list[str] | None:
    """Ids passing every brush and budget; None when nothing filters."""
    return outputs.passing(view_forest(derived), rows, budgets)


@callback(
    Output(ids.OV_FILTER_PANE, "children"),
    Output(ids.OV_TAB, "options"),
    Input(ids.OV_FILTER_ROWS, "data"),
    Input(ids.OV_FILTERED, "data"),
    State(ids.OV_DERIVED, "data"),
    prevent_initial_call=True,
)
def render_filters(rows: list[dict], passing: list[str] | None, derived: list | None) -> tuple:
    """The pane with cross-filtered histograms, and the tab label with its count badge."""
    return outputs.filter_outputs(view_forest(derived), rows, passing)


@callback(
    Output(ids.OV_SELECTION, "data", allow_duplicate=True),
    Input(ids.OV_FILTERED, "data"),
    State(ids.OV_SELECTION, "data"),
    prevent_initial_call=True,
)
def keep_passing(passing: list[str] | None, selection: list[str]) -> list[str]:
    """The selection is intersected with the filter whenever the filter changes."""
    new = actions.kept_selection(selection or [], passing)
    if passing is None or new == (selection or []):
        raise PreventUpdate
    return new


# Filtered-out models fade on the map (and cannot be selected); front models are marked.
clientside_callback(
    ClientsideFunction("cc", "fadeFiltered"),
    Output(ids.OV_SYNC, "data", allow_duplicate=True),
    Input(ids.OV_FILTERED, "data"),
    Input(ids.OV_MAP, "elements"),
    Input(ids.OV_FRONT, "data"),
    State(ids.OV_MAP, "id"),
    prevent_initial_call="initial_duplicate",
)
