"""Callbacks of the overview: thin wiring between the map, the scatterplot, the URL and the backend.

Hover and selection rings are drawn clientside (assets/cc_clientside.js); the server builds
elements and figures only when data-driven encodings change.
"""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, Patch, State, callback, clientside_callback, ctx
from dash.exceptions import PreventUpdate

from backend.overview import actions
from backend.overview.collapse import search
from backend.viewstate.overview import OverviewView
from components.overview.details import details, hover_details
from components.overview.legend import color_legend
from components.overview.model_map import map_drawing
from components.overview.scatter import (
    budget_patch,
    faded_mask,
    filter_patch,
    flags_patch,
    front_patch,
    scatter_figure,
    selection_patch,
)
from components.overview.toolbar import compare_links, search_results
from components.shared import ids
from pages._overview_forest import view_forest
from server.context import experiment

DERIVED = State(ids.OV_DERIVED, "data")  # the view's derived metrics: which metrics exist


@callback(
    Output(ids.OV_MAP, "elements"),
    Input(ids.OV_COLOR, "value"),
    Input(ids.OV_SIZE, "value"),
    Input(ids.OV_ARRANGE, "value"),
    Input(ids.OV_COLLAPSED, "data"),
    DERIVED,
    prevent_initial_call=True,
)
def restyle_map(color: str | None, size: str | None, arrange: str, collapsed: list[str],
                derived: list | None) -> list[dict]:
    """New colour, size, arrangement or collapsed set: rebuild element data."""
    return map_drawing(view_forest(derived), color, size, arrange, collapsed or [])


@callback(Output(ids.OV_LEGEND, "children"), Input(ids.OV_COLOR, "value"), DERIVED, prevent_initial_call=True)
def legend(color: str | None, derived: list | None) -> list:
    """The colour legend follows the colour metric."""
    return color_legend(view_forest(derived), color)


@callback(
    Output(ids.OV_SELECTION, "data", allow_duplicate=True),
    Input(ids.OV_SCATTER, "selectedData"),
    Input({"type": ids.OV_EXPAND, "how": ALL}, "n_clicks"),
    State(ids.OV_SELECTION, "data"),
    State(ids.OV_FILTERED, "data"),
    prevent_initial_call=True,
)
def select(scatter: dict | None, expand: list, current: list[str], passing: list[str] | None) -> list[str]:
    """Scatter boxes, lassos and clicks, and the expansion buttons (map clicks are clientside).

    Filtered-out models are never selected (spec §1.5): a box over faded points leaves them
    out, and a click on one clears the selection, as a click on a faded map node does.
    """
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and not any(expand):
        raise PreventUpdate
    if trigger == ids.OV_SCATTER and not actions.is_scatter_selection(scatter):
        raise PreventUpdate  # the scatterplot mounting, a deselect or Plotly's own reset
    if isinstance(trigger, dict):
        chosen = actions.next_selection(experiment().forest, actions.EXPAND, current or [], trigger["how"])
    else:
        chosen = actions.next_selection(experiment().forest, actions.SCATTER, current or [], scatter)
    chosen = actions.kept_selection(chosen, passing)
    if set(chosen) == set(current or []):
        raise PreventUpdate
    return chosen


@callback(
    Output(ids.OV_COLLAPSED, "data"),
    Input(ids.OV_COLLAPSE, "n_clicks"),
    Input(ids.OV_EXPAND_ALL, "n_clicks"),
    Input({"type": ids.OV_SEARCH_HIT, "id": ALL}, "n_clicks"),
    State(ids.OV_SELECTION, "data"),
    State(ids.OV_COLLAPSED, "data"),
    prevent_initial_call=True,
)
def collapse(_c: int, _e: int, hits: list, selection: list[str], collapsed: list[str]) -> list[str]:
    """Collapse the selected subtrees, expand everything, or reveal a searched model."""
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        if not any(hits):
            raise PreventUpdate
        action, target = actions.REVEAL, trigger["id"]
    else:
        action, target = (actions.EXPAND_ALL if trigger == ids.OV_EXPAND_ALL else actions.COLLAPSE), None
    return actions.next_collapsed(experiment().forest, collapsed or [], selection or [], action, target)


@callback(
    Output(ids.OV_SELECTION, "data", allow_duplicate=True),
    Input({"type": ids.OV_SEARCH_HIT, "id": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def select_search_hit(hits: list) -> list[str]:
    """A search result click selects that model (collapse() reveals it)."""
    if not isinstance(ctx.triggered_id, dict) or not any(hits):
        raise PreventUpdate
    return [ctx.triggered_id["id"]]


@callback(Output(ids.OV_SEARCH_RESULTS, "children"), Input(ids.OV_SEARCH, "value"), prevent_initial_call=True)
def find(text: str | None) -> list:
    """Up to 20 models whose id or tag contains the text."""
    forest = experiment().forest
    return search_results(forest, text, search(forest, text or ""))


@callback(
    Output(ids.OV_SCATTER, "figure"),
    Input(ids.OV_X, "value"),
    Input(ids.OV_Y, "value"),
    Input(ids.OV_COLOR, "value"),
    Input(ids.OV_SIZE, "value"),
    Input(ids.OV_SELECTION, "data"),
    Input(ids.OV_FILTERED, "data"),
    Input(ids.OV_FRONT, "data"),
    Input(ids.OV_BUDGETS, "data"),
    Input(ids.OV_FLAGS, "data"),
    DERIVED,
    prevent_initial_call=True,
)
def redraw_scatter(
    x: str | None, y: str | None, color: str | None, size: str | None, selection: list[str] | None,
    passing: list[str] | None, front: list[str] | None, budgets: list[dict] | None, flags: dict | None,
    derived: list | None,
) -> dict | Patch:
    """Encodings redraw the figure; selection, filter, front and budgets patch only their part."""
    forest = view_forest(derived)
    trigger = ctx.triggered_id
    if trigger == ids.OV_SELECTION:
        return selection_patch(forest, x, y, selection or [])
    if trigger == ids.OV_FILTERED:
        return filter_patch(forest, passing)
    if trigger == ids.OV_FRONT:
        return front_patch(forest, x, y, front or [])
    if trigger == ids.OV_BUDGETS:
        return budget_patch(x, y, budgets or [])
    if trigger == ids.OV_FLAGS:
        return flags_patch(forest, x, y, flags or {})
    faded = faded_mask(forest, passing)
    return scatter_figure(forest, x, y, color, size, selection or [], faded, front or [], budgets or [],
                          flags or {})


@callback(
    Output(ids.OV_DETAILS, "children"),
    Output(ids.OV_BEHAVIORS, "href"),
    Output(ids.OV_LAYERS, "href"),
    Output(ids.OV_BEHAVIORS, "className"),
    Output(ids.OV_LAYERS, "className"),
    Input(ids.OV_SELECTION, "data"),
    DERIVED,
    prevent_initial_call=True,
)
def selection_details(selection: list[str], derived: list | None) -> tuple:
    """Details card and the compare buttons follow the selection (the layout drew the first)."""
    forest = view_forest(derived)
    behaviors, layers, cls = compare_links(forest, selection or [])
    return details(forest, selection or []), behaviors, layers, cls, cls


@callback(
    Output(f"{ids.OV_TAB}-compare", "hidden"),
    Output(ids.OV_FILTER_PANE, "hidden"),
    Output(ids.OV_PARETO_PANE, "hidden"),
    Input(ids.OV_TAB, "value"),
    prevent_initial_call=True,
)
def show_tab(tab: str) -> tuple[bool, bool, bool]:
    """One pane of the bottom-right card is visible at a time."""
    return tab != "compare", tab != "filter", tab != "pareto"


@callback(
    Output(ids.URL, "search"),
    Input(ids.OV_SELECTION, "data"),
    Input(ids.OV_COLOR, "value"),
    Input(ids.OV_SIZE, "value"),
    Input(ids.OV_X, "value"),
    Input(ids.OV_Y, "value"),
    Input(ids.OV_ARRANGE, "value"),
    Input(ids.OV_TAB, "value"),
    Input(ids.OV_FILTER_ROWS, "data"),
    Input(ids.OV_BUDGETS, "data"),
    Input(ids.OV_PARETO, "data"),
    Input(ids.OV_REFINE, "data"),
    DERIVED,
    prevent_initial_call=True,
)
def write_url(
    selection: list[str] | None, color: str | None, size: str | None, x: str | None, y: str | None,
    arrange: str | None, tab: str | None, rows: list[dict] | None, budgets: list[dict] | None,
    pareto: dict | None, refine: str | None, derived: list | None,
) -> str:
    """Every change of the view is written to the query string (a bookmark restores it)."""
    view = OverviewView.from_stores(selection, color, size, x, y, arrange, tab, rows, budgets, pareto, refine,
                                    derived)
    return view.to_query()


@callback(
    Output(ids.OV_HOVER_CARD, "children"),
    Output(ids.OV_HOVER_CARD, "hidden"),
    Input(ids.OV_HOVER, "data"),
    Input(ids.OV_MAP, "mouseoverEdgeData"),
    DERIVED,
    prevent_initial_call=True,
)
def hover_card(hovered: str | None, edge: dict | None, derived: list | None) -> tuple:
    """A model's info table while hovering it (map or scatter); an edge's deltas likewise."""
    return hover_details(view_forest(derived), hovered, edge, on_edge=ctx.triggered_id == ids.OV_MAP)


clientside_callback(
    ClientsideFunction("cc", "selectionFromMap"),
    Output(ids.OV_SELECTION, "data"),
    Input(ids.OV_MAP, "selectedNodeData"),
    State(ids.OV_SELECTION, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("cc", "hoverFromMap"),
    Output(ids.OV_HOVER, "data"),
    Input(ids.OV_MAP, "mouseoverNodeData"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("cc", "hoverFromScatter"),
    Output(ids.OV_HOVER, "data", allow_duplicate=True),
    Input(ids.OV_SCATTER, "hoverData"),
    State(ids.OV_SCATTER_SLOT, "id"),
    prevent_initial_call=True,
)

# The next two act on the Cytoscape instance and the plotly graph; OV_SYNC is their (unchanged)
# output, so syncMapSelection also runs when the page mounts (it fits the map).
clientside_callback(
    ClientsideFunction("cc", "showHover"),
    Output(ids.OV_SYNC, "data"),
    Input(ids.OV_HOVER, "data"),
    State(ids.OV_MAP, "id"),
    State(ids.OV_SCATTER_SLOT, "id"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("cc", "syncMapSelection"),
    Output(ids.OV_SYNC, "data", allow_duplicate=True),
    Input(ids.OV_SELECTION, "data"),
    Input(ids.OV_MAP, "elements"),
    State(ids.OV_MAP, "id"),
    State(ids.OV_SELECTION, "id"),
    prevent_initial_call="initial_duplicate",
)

clientside_callback(
    ClientsideFunction("cc", "clearScatterBox"),
    Output(ids.OV_SYNC, "data", allow_duplicate=True),
    Input(ids.OV_SELECTION, "data"),
    State(ids.OV_SCATTER_SLOT, "id"),
    prevent_initial_call=True,
)
