"""The "+ Derived metric" control's callback: add or remove one, as a navigation to the new URL.

Why a navigation: a new metric changes every metric picker, pane and figure of the page; the
router draws the page again from the URL (``pages/overview.py``), exactly as a bookmark of it
would, so what a user sees and what the URL restores cannot differ. A refused definition shows
its one-line reason under the inputs and changes nothing.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from backend.overview.derived import add_metric, remove_metric
from backend.viewstate.overview import OverviewView
from components.shared import ids
from pages._overview_forest import base_forest

# what the URL writer reads (pages/_overview_callbacks.write_url), in OverviewView.from_stores' order
VIEW_STATE = [
    State(ids.OV_SELECTION, "data"), State(ids.OV_COLOR, "value"), State(ids.OV_SIZE, "value"),
    State(ids.OV_X, "value"), State(ids.OV_Y, "value"), State(ids.OV_ARRANGE, "value"),
    State(ids.OV_TAB, "value"), State(ids.OV_FILTER_ROWS, "data"), State(ids.OV_BUDGETS, "data"),
    State(ids.OV_PARETO, "data"), State(ids.OV_REFINE, "data"), State(ids.OV_DERIVED, "data"),
]


@callback(
    Output(ids.OV_NAVIGATE, "href"),
    Output(ids.OV_DERIVED_ERROR, "children"),
    Input(ids.OV_DERIVED_ADD, "n_clicks"),
    Input(ids.OV_DERIVED_EXPR, "n_submit"),
    Input({"type": ids.OV_DERIVED_REMOVE, "index": ALL}, "n_clicks"),
    State(ids.OV_DERIVED_NAME, "value"),
    State(ids.OV_DERIVED_EXPR, "value"),
    State(ids.URL, "pathname"),
    *VIEW_STATE,
    prevent_initial_call=True,
)
def edit_derived(_add: int, _submit: int, _remove: list, name: str | None, expr: str | None,
                 pathname: str | None, *stores: object) -> tuple:
    """Add the typed metric (Add or Enter), or remove a listed one."""
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        raise PreventUpdate  # the control appearing with n_clicks=0: not a user action
    view = OverviewView.from_stores(*stores)  # type: ignore[arg-type]
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        index = trigger.get("index")
        if not isinstance(index, int):
            raise PreventUpdate  # a hand-made request
        new = remove_metric(view, base_forest(), index)
    else:
        new, error = add_metric(view, base_forest(), name, expr)
        if new is None:
            return no_update, error
    return (pathname or "/") + new.to_query(), ""
