"""Pareto front and budget callbacks of the overview."""

from __future__ import annotations

from dash import ALL, Input, Output, State, callback, ctx
from dash.exceptions import PreventUpdate

from backend.overview import actions
from components.shared import ids
from pages import _overview_outputs as outputs
from pages._overview_forest import view_forest

BUDGET_ACTIONS = {
    ids.OV_BUDGET_ADD: actions.ADD,
    ids.OV_BUDGET_REMOVE: actions.REMOVE,
    ids.OV_BUDGET_FIELD: actions.EDIT,
}


@callback(
    Output(ids.OV_BUDGETS, "data"),
    Input(ids.OV_BUDGET_ADD, "n_clicks"),
    Input({"type": ids.OV_BUDGET_REMOVE, "index": ALL}, "n_clicks"),
    Input({"type": ids.OV_BUDGET_FIELD, "index": ALL, "field": ALL}, "value"),
    State(ids.OV_BUDGETS, "data"),
    State(ids.OV_DERIVED, "data"),
    prevent_initial_call=True,
)
def edit_budgets(_add: int, _remove: list, _values: list, budgets: list[dict] | None,
                 derived: list | None) -> list[dict]:
    """Add, remove or edit a budget row."""
    trigger, value = ctx.triggered_id, (ctx.triggered[0]["value"] if ctx.triggered else None)
    row = trigger if isinstance(trigger, dict) else {}
    action = BUDGET_ACTIONS.get(row.get("type", trigger))
    if action is None or (action != actions.EDIT and not value):
        raise PreventUpdate  # a pane re-render re-creates the buttons with n_clicks=0
    names = [m.name for m in view_forest(derived).metrics]
    new = actions.next_budgets(budgets or [], action, names, row.get("index"), row.get("field"), value)
    if new == budgets:
        raise PreventUpdate
    return new


@callback(
    Output(ids.OV_PARETO, "data"),
    Input({"type": ids.OV_PARETO_FIELD, "field": ALL}, "value"),
    State(ids.OV_PARETO, "data"),
    prevent_initial_call=True,
)
def edit_pareto(_values: list, pareto: dict | None) -> dict:
    """Objectives, directions and the show toggle."""
    if not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate
    new = actions.next_pareto(pareto, ctx.triggered_id["field"], ctx.triggered[0]["value"])
    if new == pareto:
        raise PreventUpdate
    return new


@callback(Output(ids.OV_FRONT, "data"), Input(ids.OV_PARETO, "data"), Input(ids.OV_FILTERED, "data"),
          State(ids.OV_DERIVED, "data"),
          prevent_initial_call=True)  # the layout holds the first answer (pages/_overview_outputs.py)
def front(pareto: dict, passing: list[str] | None, derived: list | None) -> list[str]:
    """The Pareto front of the models that pass the filters and budgets."""
    return outputs.front(view_forest(derived), pareto, passing)


@callback(
    Output(ids.OV_PARETO_PANE, "children"),
    Input(ids.OV_PARETO, "data"),
    Input(ids.OV_BUDGETS, "data"),
    Input(ids.OV_FILTER_ROWS, "data"),
    Input(ids.OV_FRONT, "data"),
    State(ids.OV_DERIVED, "data"),
    prevent_initial_call=True,
)
def render_pareto(pareto: dict, budgets: list[dict], rows: list[dict], front_models: list[str],
                  derived: list | None) -> list:
    """Controls, budget rows and one relaxation readout per complete budget."""
    return outputs.pareto_outputs(view_forest(derived), pareto, budgets, rows, front_models)
