"""Callbacks of the overview's Compare tab: stores in, ``backend.overview.compare`` and the
``components.overview.compare_tab`` builders out.

The refinement lives in ``ids.OV_REFINE`` as the URL string of ``backend.viewstate.refine`` (the URL
writer copies it verbatim), so a bookmark restores it. Any change of the selection resets it, as
in the reference; the first render of a page keeps the one that came with the URL.
"""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc
from dash.exceptions import PreventUpdate

from backend.overview.actions import clicked_model
from backend.overview.compare import compute
from backend.viewstate.refine import toggle
from components.overview.compare_tab import (
    CHART,
    CHIP,
    DOWNLOAD,
    DOWNLOAD_BUTTON,
    RESET,
    UPDATE,
    comparison_csv,
)
from components.shared import ids
from pages import _overview_outputs as outputs
from pages._overview_forest import view_forest
from server.context import experiment

_SELECTION_PROP = f"{ids.OV_SELECTION}.data"


def _clicked(values: list | int | None) -> bool:
    """True when the trigger is a real click, not a component appearing with n_clicks=0."""
    return bool(ctx.triggered and ctx.triggered[0].get("value")) and bool(values)


@callback(
    Output(ids.OV_COMPARE, "children"),
    Input(ids.OV_SELECTION, "data"),
    Input(ids.OV_REFINE, "data"),
    State(ids.OV_DERIVED, "data"),
    prevent_initial_call=True,  # the layout holds the first answer (pages/_overview_outputs.py)
)
def render(selection: list[str] | None, refinement: str | None, derived: list | None) -> list:
    """Charts, menu and table for the selection; a new selection starts unrefined."""
    if _SELECTION_PROP in ctx.triggered_prop_ids:
        refinement = ""  # reset_refinement clears the store too; do not draw the stale one first
    return outputs.compare_outputs(view_forest(derived), selection, refinement)


@callback(
    Output(ids.OV_REFINE, "data", allow_duplicate=True),
    Input(ids.OV_SELECTION, "data"),
    State(ids.OV_REFINE, "data"),
    prevent_initial_call=True,
)
def reset_refinement(_selection: list[str] | None, current: str | None) -> str:
    """The allowed values are reset whenever the selection changes (spec §1.8)."""
    if not current:
        raise PreventUpdate
    return ""


@callback(
    Output(ids.OV_REFINE, "data", allow_duplicate=True),
    Input({"type": CHIP, "var": ALL, "value": ALL}, "n_clicks"),
    State(ids.OV_REFINE, "data"),
    prevent_initial_call=True,
)
def toggle_chip(clicks: list[int], current: str | None) -> str:
    """A chip click toggles its value in its variable's allowed list."""
    chip = ctx.triggered_id
    if not isinstance(chip, dict) or not _clicked(any(clicks)):
        raise PreventUpdate
    return toggle(current, int(chip["var"]), str(chip["value"]))


@callback(
    Output(ids.OV_REFINE, "data", allow_duplicate=True),
    Input(RESET, "n_clicks"),
    prevent_initial_call=True,
)
def reset(clicks: int | None) -> str:
    """"Reset" clears every allowed list."""
    if not _clicked(clicks):
        raise PreventUpdate
    return ""


@callback(
    Output(ids.OV_SELECTION, "data", allow_duplicate=True),
    Output(ids.OV_REFINE, "data", allow_duplicate=True),
    Input(UPDATE, "n_clicks"),
    State(ids.OV_SELECTION, "data"),
    State(ids.OV_REFINE, "data"),
    prevent_initial_call=True,
)
def update_selection(clicks: int | None, selection: list[str] | None, refinement: str | None) -> tuple:
    """"Update Selection": the refined models become the selection, unrefined."""
    if not _clicked(clicks):
        raise PreventUpdate
    kept = compute(experiment().forest, selection or [], refinement).refined_ids
    if not kept:
        raise PreventUpdate
    return kept, ""


@callback(
    Output(ids.OV_SELECTION, "data", allow_duplicate=True),
    Input({"type": CHART, "metric": ALL}, "clickData"),
    prevent_initial_call=True,
)
def select_bar(_clicks: list[dict | None]) -> list[str]:
    """Clicking a bar selects that single model."""
    model = clicked_model(experiment().forest, ctx.triggered)
    if model is None:
        raise PreventUpdate
    return [model]


@callback(
    Output(DOWNLOAD, "data"),
    Input(DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.OV_SELECTION, "data"),
    State(ids.OV_REFINE, "data"),
    State(ids.OV_DERIVED, "data"),
    prevent_initial_call=True,
)
def download(clicks: int | None, selection: list[str] | None, refinement: str | None,
             derived: list | None) -> dict:
    """The comparison table as CSV (raw values, model id first)."""
    if not _clicked(clicks):
        raise PreventUpdate
    forest = view_forest(derived)
    comparison = compute(forest, selection or [], refinement)
    if comparison.simplified is None or comparison.too_few:
        raise PreventUpdate
    return dcc.send_string(comparison_csv(forest, comparison.simplified), "comparison.csv", "text/csv")


# Hovering a bar hovers its model: the map rings it and the scatter shows its point.
clientside_callback(
    ClientsideFunction("cc", "hoverFromBars"),
    Output(ids.OV_HOVER, "data", allow_duplicate=True),
    Input({"type": CHART, "metric": ALL}, "hoverData"),
    prevent_initial_call=True,
)

# Hovering a chip rings every model with that value (map) and hovers their scatter points.
clientside_callback(
    ClientsideFunction("cc", "installChipHover"),
    Input(ids.OV_COMPARE, "children"),
    State(ids.OV_COMPARE, "id"),
    State(ids.OV_MAP, "id"),
    State(ids.OV_SCATTER_SLOT, "id"),
)
