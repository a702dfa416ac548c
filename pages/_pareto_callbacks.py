"""Pareto front and budget callbacks of the overview."""

from __future__ import annotations

import numpy as np
from dash import ALL, Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate

from backend.overview.filters import Budget, passing_mask
from backend.overview.pareto import pareto_front, relaxation
from components.overview.filter_pane import BLUE
from components.overview.pareto_pane import budget_rows, pareto_controls, readout
from components.shared import ids
from pages._filter_callbacks import active_filters
from server.context import experiment


def front_ids(forest, pareto: dict, passing: list[str] | None) -> list[str]:
    """Ids on the non-dominated front of the passing models (empty when the front is hidden)."""
    if not pareto or not pareto.get("show") or not pareto.get("a") or not pareto.get("b"):
        return []
    ids_arr = np.array(forest.ids, dtype=object)
    a = np.array([m.metrics.get(pareto["a"], np.nan) for m in forest], dtype=float)
    b = np.array([m.metrics.get(pareto["b"], np.nan) for m in forest], dtype=float)
    if passing is not None:
        keep = np.isin(ids_arr, passing)
        a, b = np.where(keep, a, np.nan), np.where(keep, b, np.nan)
    return [str(i) for i in ids_arr[pareto_front(a, b, bool(pareto.get("max_a")), bool(pareto.get("max_b")))]]


def next_budgets(budgets: list[dict], trigger, values: list, names: list[str]) -> list[dict]:
    """Budget rows after one action: add (the first metric not yet budgeted), remove, or edit."""
    budgets = [dict(b) for b in budgets]
    if trigger == ids.OV_BUDGET_ADD:
        unused = [n for n in names if n not in {b["metric"] for b in budgets}] or names
        return budgets + [{"metric": unused[0], "op": "<=", "value": None}]
    if isinstance(trigger, dict) and trigger.get("index", 10**9) < len(budgets):
        i = trigger["index"]
        if trigger["type"] == ids.OV_BUDGET_REMOVE:
            return budgets[:i] + budgets[i + 1 :]
        budgets[i][trigger["field"]] = values
    return budgets


@callback(
    Output(ids.OV_BUDGETS, "data"),
    Input(ids.OV_BUDGET_ADD, "n_clicks"),
    Input({"type": ids.OV_BUDGET_REMOVE, "index": ALL}, "n_clicks"),
    Input({"type": ids.OV_BUDGET_FIELD, "index": ALL, "field": ALL}, "value"),
    State(ids.OV_BUDGETS, "data"),
    prevent_initial_call=True,
)
def edit_budgets(_add, _remove, _values, budgets: list[dict]) -> list[dict]:
    """Add, remove or edit a budget row."""
    trig = ctx.triggered[0] if ctx.triggered else None
    if trig is None or (trig["value"] in (None, 0) and ctx.triggered_id == ids.OV_BUDGET_ADD):
        raise PreventUpdate
    if (
        isinstance(ctx.triggered_id, dict)
        and ctx.triggered_id["type"] == ids.OV_BUDGET_REMOVE
        and not trig["value"]
    ):
        raise PreventUpdate
    names = [m.name for m in experiment().forest.metrics]
    new = next_budgets(budgets or [], ctx.triggered_id, trig["value"], names)
    if new == budgets:
        raise PreventUpdate
    return new


@callback(
    Output(ids.OV_PARETO, "data"),
    Input({"type": ids.OV_PARETO_FIELD, "field": ALL}, "value"),
    State(ids.OV_PARETO, "data"),
    prevent_initial_call=True,
)
def edit_pareto(_values, pareto: dict) -> dict:
    """Objectives, directions and the show toggle."""
    if not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate
    field, value = ctx.triggered_id["field"], ctx.triggered[0]["value"]
    new = dict(pareto or {})
    if field == "flags":
        new.update({f: f in (value or []) for f in ("max_a", "max_b", "show")})
    elif value:
        new[field] = value
    if new == pareto:
        raise PreventUpdate
    return new


@callback(Output(ids.OV_FRONT, "data"), Input(ids.OV_PARETO, "data"), Input(ids.OV_FILTERED, "data"))
def front(pareto: dict, passing: list[str] | None) -> list[str]:
    """The Pareto front of the models that pass the filters and budgets."""
    return front_ids(experiment().forest, pareto, passing)


@callback(
    Output(ids.OV_PARETO_PANE, "children"),
    Input(ids.OV_PARETO, "data"),
    Input(ids.OV_BUDGETS, "data"),
    Input(ids.OV_FILTER_ROWS, "data"),
    Input(ids.OV_FRONT, "data"),
)
def render_pareto(pareto: dict, budgets: list[dict], rows: list[dict], front_models: list[str]) -> list:
    """Controls, budget rows and one relaxation readout per complete budget."""
    forest = experiment().forest
    out = [pareto_controls(forest, pareto or {})]
    if front_models:
        out.append(
            html.P(
                [
                    html.Span("■ ", style={"color": BLUE}),
                    f"{len(front_models)} models on the front: ",
                    ", ".join(front_models[:8]),
                    " …" if len(front_models) > 8 else "",
                ],
                className="cc-hint",
            )
        )
    out.append(budget_rows(forest, budgets or []))
    brushes = active_filters(rows, [])
    allowed = passing_mask(forest, brushes) if brushes else None
    for b in budgets or []:
        if b.get("metric") and isinstance(b.get("value"), int | float):
            objective = (
                (pareto or {}).get("b") if (pareto or {}).get("b") != b["metric"] else (pareto or {}).get("a")
            )
            if objective:
                rows_out = relaxation(
                    forest,
                    objective,
                    Budget(b["metric"], b.get("op", "<="), float(b["value"])),
                    allowed=allowed,
                )
                out.append(readout(forest, b, objective, rows_out))
    return out
