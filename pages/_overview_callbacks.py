"""Callbacks of the overview: thin wiring between the views, the URL and the backend.

Hover and selection rings are drawn clientside (assets/cc_clientside.js); the server builds
elements and figures only when data-driven encodings change.
"""

from __future__ import annotations

from functools import lru_cache

from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    Patch,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
)
from dash.exceptions import PreventUpdate

from backend.experiment.forest import ExperimentForest
from backend.overview.collapse import compare_base, reveal, search, visible
from backend.overview.filters import Budget, RangeFilter
from backend.overview.map_layout import MapLayout
from backend.overview.map_layout import layout as compute_layout
from backend.overview.pareto import encode_pareto
from backend.viewstate.codec import build_query, encode_ids
from components.overview.hover_card import edge_card, model_card
from components.overview.legend import color_legend
from components.overview.model_info import model_info_table
from components.overview.model_map import map_elements
from components.overview.scatter import (
    budget_shapes,
    front_trace,
    opacity,
    scatter_figure,
    selection_patch,
)
from components.shared import ids
from server.context import experiment

ARRANGE = {"op": "operation", "step": "step"}
COMPARE_RANGE = (2, 16)


@lru_cache(maxsize=32)
def _layout(forest: ExperimentForest, arrange: str, collapsed: tuple[str, ...]) -> tuple[MapLayout, dict]:
    shown, counts = visible(forest, collapsed)
    keep = set(shown)
    records = [r for r in forest.records() if r["id"] in keep]
    return compute_layout(records, mode=ARRANGE.get(arrange, "operation")), counts


def map_view(
    forest: ExperimentForest, color: str | None, size: str | None, arrange: str, collapsed: list[str]
) -> list[dict]:
    """Cytoscape elements of the drawn part of the forest (layouts cached per view)."""
    grid, counts = _layout(forest, arrange, tuple(sorted(collapsed)))
    return map_elements(forest, grid.positions, grid.columns, color, size, counts)


def details(forest: ExperimentForest, selection: list[str]) -> list:
    """The selection card: one model's info table, or the list of selected models."""
    if not selection:
        return [
            html.H3("No models selected"),
            html.P(
                "Click a model on the map or the scatterplot; shift-click or drag a box "
                "to select several; click a column header to select the column.",
                className="cc-hint",
            ),
        ]
    if len(selection) == 1:
        return [html.H3(f"1 Model Selected: {selection[0]}"), model_info_table(forest, selection[0])]
    return [
        html.H3(f"{len(selection)} Models Selected"),
        html.Ul([html.Li(forest[i].title, title=i) for i in selection], className="cc-list"),
    ]


def compare_links(forest: ExperimentForest, selection: list[str]) -> tuple[str, str, str]:
    """Hrefs of the Behaviors and Layers buttons and their class (disabled outside 2–16)."""
    lo, hi = COMPARE_RANGE
    if not lo <= len(selection) <= hi:
        return "/behaviors", "/layers", "cc-button cc-primary cc-disabled"
    query = build_query(
        {
            "models": encode_ids(selection),
            "base": encode_ids([compare_base(forest, selection) or selection[0]]),
        }
    )
    return f"/behaviors{query}", f"/layers{query}", "cc-button cc-primary"


def next_selection(
    forest: ExperimentForest,
    trigger: str | dict | None,
    map_nodes: list[dict] | None,
    scatter: dict | None,
    current: list[str],
) -> list[str]:
    """The selection after an event of the map, the scatterplot or an expansion button."""
    if isinstance(trigger, dict) and trigger.get("type") == ids.OV_EXPAND:
        return forest.expand(current, trigger["how"])
    if trigger == ids.OV_MAP:
        chosen = [n["id"] for n in map_nodes or [] if n.get("id") in forest]
        # the map reports its own selection; keep the current order for ids already selected
        keep = [i for i in current if i in set(chosen)]
        return keep + [i for i in chosen if i not in set(keep)]
    if trigger == ids.OV_SCATTER:
        return list(
            dict.fromkeys(
                p["customdata"] for p in (scatter or {}).get("points", []) if p.get("customdata") in forest
            )
        )
    return current


@callback(
    Output(ids.OV_MAP, "elements"),
    Input(ids.OV_COLOR, "value"),
    Input(ids.OV_SIZE, "value"),
    Input(ids.OV_ARRANGE, "value"),
    Input(ids.OV_COLLAPSED, "data"),
    prevent_initial_call=True,
)
def restyle_map(color: str | None, size: str | None, arrange: str, collapsed: list[str]) -> list[dict]:
    """New colour, size, arrangement or collapsed set: rebuild element data."""
    return map_view(experiment().forest, color, size, arrange, collapsed or [])


@callback(Output(ids.OV_LEGEND, "children"), Input(ids.OV_COLOR, "value"), prevent_initial_call=True)
def legend(color: str | None) -> list:
    """The colour legend follows the colour metric."""
    return color_legend(experiment().forest, color)


@callback(
    Output(ids.OV_SELECTION, "data", allow_duplicate=True),
    Input(ids.OV_SCATTER, "selectedData"),
    Input({"type": ids.OV_EXPAND, "how": ALL}, "n_clicks"),
    State(ids.OV_SELECTION, "data"),
    prevent_initial_call=True,
)
def select(scatter: dict | None, _expand: list, current: list[str]) -> list[str]:
    """Scatter boxes, lassos and clicks, and the expansion buttons (map clicks are clientside)."""
    if isinstance(ctx.triggered_id, dict) and not any(_expand):
        raise PreventUpdate
    if ctx.triggered_id == ids.OV_SCATTER and scatter is None:
        raise PreventUpdate  # the scatterplot mounting (or a plain deselect) is not a selection
    chosen = next_selection(experiment().forest, ctx.triggered_id, None, scatter, current or [])
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
    forest = experiment().forest
    trigger = ctx.triggered_id
    if trigger == ids.OV_EXPAND_ALL:
        return []
    if isinstance(trigger, dict):
        if not any(hits):
            raise PreventUpdate
        return reveal(forest, collapsed or [], [trigger["id"]])
    return list(dict.fromkeys((collapsed or []) + [s for s in selection or [] if forest.children(s)]))


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
    hits = search(forest, text or "")
    if text and not hits:
        return [html.Div("No model matches.", className="cc-hint")]
    return [
        html.Button(
            forest[h].title if forest[h].tag else h,
            id={"type": ids.OV_SEARCH_HIT, "id": h},
            title=h,
            n_clicks=0,
            className="cc-search-hit",
        )
        for h in hits
    ]


@callback(
    Output(ids.OV_SCATTER_SLOT, "children"),
    Input(ids.OV_FRONT, "data"),  # computed at load after filters and budgets: mount after it
    State(ids.OV_SCATTER_SLOT, "children"),
    State(ids.OV_X, "value"),
    State(ids.OV_Y, "value"),
    State(ids.OV_COLOR, "value"),
    State(ids.OV_SIZE, "value"),
    State(ids.OV_SELECTION, "data"),
    State(ids.OV_FILTERED, "data"),
    State(ids.OV_BUDGETS, "data"),
)
def mount_scatter(front, mounted, x, y, color, size, selection: list[str], passing, budgets):
    """The scatterplot arrives after the map: its plotly.js bundle no longer delays the map.

    Later front changes patch the mounted figure (redraw_scatter), so this runs once.
    """
    if mounted:
        raise PreventUpdate
    forest = experiment().forest
    faded = None if passing is None else opacity(forest, passing) < 0.5
    figure = scatter_figure(forest, x, y, color, size, selection or [], faded, front or [], budgets or [])
    return dcc.Graph(
        id=ids.OV_SCATTER,
        figure=figure,
        config={"displaylogo": False},
        className="cc-scatter",
        clear_on_unhover=True,
    )


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
    prevent_initial_call=True,
)
def redraw_scatter(x, y, color, size, selection: list[str], passing, front: list[str], budgets: list[dict]):
    """Encodings redraw the figure; selection, filter, front and budgets patch only their part."""
    forest = experiment().forest
    trigger = ctx.triggered_id
    if trigger == ids.OV_SELECTION:
        return selection_patch(forest, x, y, selection or [])
    patch = Patch()
    if trigger == ids.OV_FILTERED:
        patch["data"][0]["marker"]["opacity"] = opacity(forest, passing)
    elif trigger == ids.OV_FRONT:
        for key, value in front_trace(forest, x, y, front or []).items():
            patch["data"][2][key] = value
    elif trigger == ids.OV_BUDGETS:
        patch["layout"]["shapes"] = budget_shapes(x, y, budgets or [])
    else:
        faded = None if passing is None else opacity(forest, passing) < 0.5
        return scatter_figure(forest, x, y, color, size, selection or [], faded, front or [], budgets or [])
    return patch


@callback(
    Output(ids.OV_DETAILS, "children"),
    Output(ids.OV_BEHAVIORS, "href"),
    Output(ids.OV_LAYERS, "href"),
    Output(ids.OV_BEHAVIORS, "className"),
    Output(ids.OV_LAYERS, "className"),
    Input(ids.OV_SELECTION, "data"),
    prevent_initial_call=True,
)
def selection_details(selection: list[str]) -> tuple:
    """Details card and the compare buttons follow the selection."""
    forest = experiment().forest
    selection = [i for i in selection or [] if i in forest]
    behaviors, layers, cls = compare_links(forest, selection)
    return details(forest, selection), behaviors, layers, cls, cls


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
    prevent_initial_call=True,
)
def write_url(selection, color, size, x, y, arrange, tab, rows, budgets, pareto, refine) -> str:
    """Every view change is written to the query string (a bookmark restores it)."""
    return overview_query(selection, color, size, x, y, arrange, tab, rows, budgets, pareto, refine)


def overview_query(selection, color, size, x, y, arrange, tab, rows, budgets, pareto, refine) -> str:
    """The query string of an overview state, with the keys of ARCHITECTURE.md."""
    filters = ";".join(
        RangeFilter(r["metric"], r["lo"], r["hi"]).encode() for r in rows or [] if r.get("lo") is not None
    )
    budget_text = ";".join(
        Budget(b["metric"], b.get("op", "<="), float(b["value"])).encode()
        for b in budgets or []
        if b.get("metric") and isinstance(b.get("value"), int | float)
    )
    return build_query(
        {
            "sel": encode_ids(selection or []),
            "color": color or "none",
            "size": size or "none",
            "x": x or "none",
            "y": y or "none",
            "arrange": None if arrange == "op" else arrange,
            "tab": None if tab in (None, "compare") else tab,
            "filter": filters,
            "budget": budget_text,
            "pareto": encode_pareto(pareto),
            "refine": refine or None,
        }
    )


@callback(
    Output(ids.OV_HOVER_CARD, "children"),
    Output(ids.OV_HOVER_CARD, "hidden"),
    Input(ids.OV_HOVER, "data"),
    Input(ids.OV_MAP, "mouseoverEdgeData"),
    prevent_initial_call=True,
)
def hover_card(hovered: str | None, edge: dict | None) -> tuple:
    """A model's info table while hovering it (map or scatter); an edge's deltas likewise."""
    forest = experiment().forest
    if ctx.triggered_id == ids.OV_MAP:
        if not edge or edge.get("target") not in forest:
            return [], True
        return edge_card(forest, edge["target"]), False
    if not hovered or hovered not in forest:
        return [], True
    return model_card(forest, hovered), False


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
