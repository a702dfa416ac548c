"""Callbacks of the Behaviors page: thin wiring between the controls, the URL and the backend.

One store holds the view (``ids.BH_STATE``); two small keys derived from it decide what must be
redrawn: the rows (a new key remounts the infinite grid, which then asks for page 0) and the
histograms (not redrawn by brushing, so a drag is never interrupted).
"""

from __future__ import annotations

import time

from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from backend.behaviors import flip_matrix, rows_csv, significance
from backend.inference.protocol import InspectorError
from backend.infra.cache import CacheError
from backend.viewstate.behaviors import BehaviorView, view_from_dict, view_to_dict
from backend.viewstate.codec import build_query, encode_ids
from components.behaviors.extras import attribution_table, flip_figure
from components.behaviors.grid import PAGE_SIZE, grid, page_rows, sort_from_model, value_format
from components.behaviors.header import histogram_strip, summary_row
from components.shared import ids
from pages import _behaviors_data as bd
from server.context import engine

FAILURES = (InspectorError, CacheError, ValueError, KeyError)
HIDDEN = {"display": "none"}


def apply_action(view: BehaviorView, trigger: object, value: object) -> BehaviorView:
    """The view after one control changed (pure, so the rules are unit-tested)."""
    if trigger == ids.BH_LEVEL:
        return view.with_(level="instance" if view.level == "class" else "class", class_filter=None,
                          page=0)
    if trigger == ids.BH_CLASS:
        return view.with_(class_filter=None if value in (None, -1) else int(value), page=0)
    if trigger == ids.BH_COMPARISON:
        return view.with_(comparison=value, brushes=(), page=0)
    if trigger == ids.BH_MODE:
        return view.with_(mode=value, brushes=(), page=0)
    if trigger == ids.BH_WRONG:
        return view.with_(wrong=None if value in (None, -1) else int(value), page=0)
    if trigger == ids.BH_CLEAR:
        return view.with_(brushes=(), wrong=None, pair=None, class_filter=None, page=0)
    if trigger == ids.BH_PAIR_CLEAR:
        return view.with_(pair=None, page=0)
    if isinstance(trigger, dict) and trigger.get("type") == ids.BH_HIST:
        model = trigger["model"]
        others = tuple(b for b in view.brushes if b[0] != model)
        rng = (value or {}).get("range", {}).get("x") if isinstance(value, dict) else None
        if rng:
            lo, hi = sorted(float(x) for x in rng[:2])
            return view.with_(brushes=others + ((model, lo, hi),), page=0)
        return view.with_(brushes=others, page=0)
    if isinstance(trigger, dict) and trigger.get("type") == ids.BH_GRID:
        item = (value or {}).get("value") if isinstance(value, dict) else None
        if view.level == "class" and isinstance(item, dict) and item.get("kind") == "class":
            return view.with_(level="instance", class_filter=int(item["cls"]), page=0)
        return view
    if trigger == ids.BH_FLIPS:
        point = ((value or {}).get("points") or [{}])[0]
        pair = point.get("customdata")
        if pair and len(pair) == 2 and pair[0] != pair[1]:
            return view.with_(pair=(pair[0], pair[1]), page=0)
    return view


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
    if trigger is not None and trigger != ids.BH_READY:
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        view = apply_action(view, trigger, value)
    new_grid, new_head = bd.key(view, *bd.GRID_FIELDS), bd.key(view, *bd.HEAD_FIELDS)
    if trigger == ids.BH_READY:  # predictions just arrived: redraw everything
        grid_key = head_key = None
    return (
        view_to_dict(view),
        new_grid if new_grid != grid_key else no_update,
        new_head if new_head != head_key else no_update,
        "Show All Instances" if view.level == "class" else "‹ Classes",
        {"display": "none"} if view.level == "class" else {},
        view.class_filter if view.class_filter is not None else -1,
        view.wrong if view.wrong is not None else -1,
    )


def _not_ready(message: str | None = None):
    return html.Div([
        html.H3("No predictions yet"),
        html.P(message or "Predictions for the selected comparison have not been loaded. Click "
               "“Load predictions” above to compute them (they are cached for everyone afterwards).",
               className="cc-hint"),
    ], className="bh-empty")


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
            return None, None, _not_ready(), None, HIDDEN, HIDDEN
        d, result = bd.run(view)
        sig = significance(d)
    except FAILURES as exc:
        return None, None, _not_ready(str(exc)), None, HIDDEN, HIDDEN
    comp = d.comparisons[view.comparison]
    fmt = value_format(comp.options, result.mode == "relative", comp.has_value)
    filtered = bool(view.brushes or view.wrong is not None or view.pair or
                    (view.level == "instance" and view.class_filter is not None))
    summary = summary_row(view.models, view.base, result.mode, result.summary, result.n_instances, filtered,
                          view.comparison, fmt, comp.has_value, sig, comp.options.get("format") or ".3~g")
    sort = tuple(pos["sort"]) if pos and pos.get("sort") else None
    table = grid({"type": ids.BH_GRID, "key": bd.key(view, *bd.GRID_FIELDS)}, view.models, view.base,
                 view.level, result.mode, sort)
    return summary, table, None, _filter_chips(view, d.class_names), {}, {}


def _filter_chips(view: BehaviorView, class_names) -> list:
    chips = []
    if view.level == "instance" and view.class_filter is not None:
        chips.append(f"class {class_names[view.class_filter]}")
    for m, lo, hi in view.brushes:
        chips.append(f"{m}: {lo:.3g} … {hi:.3g}")
    if view.wrong is not None:
        chips.append(f"exactly {view.wrong} of {len(view.models)} models wrong")
    if view.pair:
        chips.append(f"{view.pair[0]} and {view.pair[1]} disagree")
    return [html.Span(c, className="bh-chip") for c in chips]


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
            return None, {"data": [], "layout": {"height": 10}}, None
        d, result = bd.run(view)
        attributions = bd.attribution(view)
    except FAILURES as exc:
        return html.P(str(exc), className="cc-error"), no_update, None
    comp = d.comparisons[view.comparison]
    rel = result.mode == "relative"
    xlabel = f"Change in {view.comparison}" if rel and comp.has_value else view.comparison
    strip = histogram_strip(ids.BH_HIST, view.models, view.base, result.mode, result.histograms,
                            result.domain, result.diverging, xlabel, view.brush_map())
    flips = flip_figure(list(view.models), flip_matrix(d), view.pair)
    if attributions is None:
        attr = html.P("Load predictions to compute the models on the paths from the roots.",
                      className="cc-hint")
    else:
        attr = [attribution_table(m, rows) for m, rows in attributions]
    return strip, flips, attr


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
    """One 50-row page for the grid, sorted and filtered on the server.

    A bookmark's page is restored once the grid knows the row count: the first answer (page 0)
    also tells the grid to go to that page, which then asks for it.
    """
    if not requests or not requests[-1]:
        raise PreventUpdate
    request = requests[-1]
    view = view_from_dict(state)
    sort = sort_from_model(request.get("sortModel"), view.models)
    page = int(request.get("startRow") or 0) // PAGE_SIZE
    restore = int(pos.get("page") or 0) if pos and pos.get("restore") else 0
    go_to = [no_update] * len(requests)
    if restore and page == 0:
        go_to = [restore] * len(requests)
    try:
        d, result = bd.run(view, sort, page)
    except FAILURES:
        return [{"rowData": [], "rowCount": 0}] * len(requests), go_to, no_update
    comp = d.comparisons[view.comparison]
    fmt = value_format(comp.options, result.mode == "relative", comp.has_value)
    rows = page_rows(result.rows, view.level, view.models, view.base, result.mode, result.domain,
                     result.diverging, fmt, view.comparison, comp.has_value,
                     render=bd.render_instance if view.level == "instance" else None,
                     value_fmt=comp.options.get("format") or ".3~g")
    if view.level == "instance":  # each instance links to its per-layer drill-down
        for row in rows:
            row["item"]["layers"] = "/layers" + build_query({
                "models": encode_ids(view.models), "base": view.base, "tensor": "activations",
                "instance": row["item"]["id"]})
    response = {"rowData": rows, "rowCount": result.total}
    if restore and page == 0:  # keep the bookmark's page until the grid has gone there
        return [response] * len(requests), go_to, no_update
    return [response] * len(requests), go_to, {"sort": list(sort) if sort else None, "page": result.page,
                                               "restore": False}


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    Input(ids.BH_STATE, "data"),
    Input(ids.BH_POS, "data"),
    prevent_initial_call=True,
)
def write_url(state, pos):
    """Every change of the view is written to the query string (a bookmark restores it)."""
    view = view_from_dict(state)
    if pos:
        sort = tuple(pos["sort"]) if pos.get("sort") else None
        view = view.with_(sort=sort, page=int(pos.get("page") or 0))
    return view.query_string()


@callback(
    Output(ids.BH_DOWNLOAD, "data"),
    Input(ids.BH_EXPORT, "n_clicks"),
    State(ids.BH_STATE, "data"),
    State(ids.BH_POS, "data"),
    prevent_initial_call=True,
)
def export_csv(_clicks, state, pos):
    """Every filtered row (not only the visible page) as CSV."""
    view = view_from_dict(state)
    sort = tuple(pos["sort"]) if pos and pos.get("sort") else None
    try:
        text = rows_csv(bd.data(view), bd.behavior_query(view, sort, 0))
    except FAILURES:
        raise PreventUpdate from None
    return dcc.send_string(text, f"behaviors-{view.level}-{view.comparison}.csv".replace(" ", "_"))


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
    view = view_from_dict(state)
    t0 = time.perf_counter()
    try:
        eng = engine()
        todo = list(dict.fromkeys(list(view.models) + bd.path_models(view)))
        n = len(eng.dataset)
        total = n * len(todo)
        for i, model_id in enumerate(todo):
            eng.predictions(model_id, lambda done, _t, _m, i=i: set_progress((str(i * n + done), str(total))))
            set_progress((str((i + 1) * n), str(total)))
        bd.data(view)  # derive and cache the comparison arrays once, here rather than in a request
    except FAILURES as exc:
        return no_update, str(exc)
    return time.time(), f"Predictions ready in {time.perf_counter() - t0:.1f} s."
