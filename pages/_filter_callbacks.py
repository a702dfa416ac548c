"""Filter tab, budgets and Pareto front callbacks: brushes and budgets become one mask.

The passing ids go to ``ids.OV_FILTERED``; the map fades the others (clientside), the
scatterplot dims them, and the selection keeps only passing models (spec §1.6).
"""

from __future__ import annotations

import math

import numpy as np
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx
from dash.exceptions import PreventUpdate

from backend.overview.filters import Budget, RangeFilter, metric_column, passing_mask
from backend.present.scales import domain
from components.overview.filter_pane import filter_pane
from components.shared import ids
from server.context import experiment


def active_filters(rows: list[dict] | None, budgets: list[dict] | None) -> list[RangeFilter]:
    """Brushed rows and complete budgets as range filters."""
    out = [RangeFilter(r["metric"], r["lo"], r["hi"]) for r in rows or [] if r.get("lo") is not None]
    for b in budgets or []:
        if b.get("metric") and isinstance(b.get("value"), int | float) and math.isfinite(b["value"]):
            out.append(Budget(b["metric"], b.get("op") or "<=", float(b["value"])).as_filter())
    return out


def next_rows(rows: list[dict], trigger, names: list[str], brushes: list, metrics: list) -> list[dict]:
    """The filter rows after one user action (pure, for testing without a browser)."""
    rows = [dict(r) for r in rows]
    if trigger == ids.OV_FILTER_ADD:
        unused = [n for n in names if n not in {r["metric"] for r in rows}]
        return rows + ([{"metric": unused[0], "lo": None, "hi": None}] if unused else [])
    if trigger == ids.OV_FILTER_CLEAR:
        return [{**r, "lo": None, "hi": None} for r in rows]
    if isinstance(trigger, dict):
        i, kind = trigger["index"], trigger["type"]
        if i >= len(rows):
            return rows
        if kind == ids.OV_FILTER_REMOVE:
            return rows[:i] + rows[i + 1 :]
        if kind == ids.OV_FILTER_UNBRUSH:
            rows[i].update(lo=None, hi=None)
        elif kind == ids.OV_FILTER_METRIC and metrics[i] and metrics[i] != rows[i]["metric"]:
            rows[i] = {"metric": metrics[i], "lo": None, "hi": None}  # a new metric clears the brush
        elif kind == ids.OV_FILTER_HIST and brushes[i] and brushes[i].get("range"):
            lo, hi = sorted(brushes[i]["range"]["x"][:2])
            rows[i].update(lo=float(lo), hi=float(hi))
    return rows


@callback(
    Output(ids.OV_FILTER_ROWS, "data"),
    Input(ids.OV_FILTER_ADD, "n_clicks"),
    Input(ids.OV_FILTER_CLEAR, "n_clicks"),
    Input({"type": ids.OV_FILTER_REMOVE, "index": ALL}, "n_clicks"),
    Input({"type": ids.OV_FILTER_UNBRUSH, "index": ALL}, "n_clicks"),
    Input({"type": ids.OV_FILTER_METRIC, "index": ALL}, "value"),
    Input({"type": ids.OV_FILTER_HIST, "index": ALL}, "selectedData"),
    State(ids.OV_FILTER_ROWS, "data"),
    prevent_initial_call=True,
)
def edit_rows(_a, _c, _r, _u, metrics: list, brushes: list, rows: list[dict]) -> list[dict]:
    """Add, clear, remove, unbrush, change metric, or brush one filter row."""
    if not ctx.triggered or ctx.triggered[0]["value"] in (None, 0):
        raise PreventUpdate  # a pane re-render re-creates components: not a user action
    forest = experiment().forest
    new = next_rows(rows or [], ctx.triggered_id, [m.name for m in forest.metrics], brushes, metrics)
    for row in new:  # a brush dragged past the axis ends means "up to the end of the data"
        if row.get("lo") is not None:
            lo, hi = domain(forest.metric(row["metric"]), metric_column(forest, row["metric"]))
            row["lo"], row["hi"] = max(row["lo"], lo), min(row["hi"], hi)
    if new == rows:
        raise PreventUpdate
    return new


@callback(
    Output(ids.OV_FILTERED, "data"),
    Input(ids.OV_FILTER_ROWS, "data"),
    Input(ids.OV_BUDGETS, "data"),
)
def filtered(rows: list[dict], budgets: list[dict]) -> list[str] | None:
    """Ids passing every brush and budget; None when nothing filters."""
    forest = experiment().forest
    filters = active_filters(rows, budgets)
    if not filters:
        return None
    mask = passing_mask(forest, filters)
    return [mid for mid, ok in zip(forest.ids, mask, strict=True) if ok]


@callback(
    Output(ids.OV_FILTER_PANE, "children"),
    Output(ids.OV_TAB, "options"),
    Input(ids.OV_FILTER_ROWS, "data"),
    Input(ids.OV_FILTERED, "data"),
)
def render_filters(rows: list[dict], passing_ids: list[str] | None) -> tuple:
    """The pane with cross-filtered histograms, and the tab label with its count badge."""
    forest = experiment().forest
    passing = None if passing_ids is None else np.isin(np.array(forest.ids, dtype=object), passing_ids)
    label = "Filter" if passing_ids is None else f"Filter ({len(passing_ids)} of {len(forest)})"
    options = [
        {"label": "Compare", "value": "compare"},
        {"label": label, "value": "filter"},
        {"label": "Pareto & budgets", "value": "pareto"},
    ]
    return filter_pane(forest, rows or [], passing), options


@callback(
    Output(ids.OV_SELECTION, "data", allow_duplicate=True),
    Input(ids.OV_FILTERED, "data"),
    State(ids.OV_SELECTION, "data"),
    prevent_initial_call=True,
)
def keep_passing(passing_ids: list[str] | None, selection: list[str]) -> list[str]:
    """The selection is intersected with the filter whenever the filter changes."""
    if passing_ids is None:
        raise PreventUpdate
    keep = set(passing_ids)
    new = [i for i in selection or [] if i in keep]
    if new == (selection or []):
        raise PreventUpdate
    return new


clientside_callback(
    ClientsideFunction("cc", "fadeFiltered"),
    Output(ids.OV_SYNC, "data", allow_duplicate=True),
    Input(ids.OV_FILTERED, "data"),
    Input(ids.OV_MAP, "elements"),
    Input(ids.OV_FRONT, "data"),
    State(ids.OV_MAP, "id"),
    prevent_initial_call="initial_duplicate",
)
