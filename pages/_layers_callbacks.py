"""Callbacks of the Layers page: URL state, events from the tree, loading jobs, rendering.

The view state (models, base, tensor, view, match, sort, page, open, sel, module, instance)
lives in one store that mirrors the query string; every change is written back to the URL.
Statistics are read from the cache on each render (memoised per process by content key), so
any gunicorn worker can answer, and nothing per-user is kept on the server.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping

import numpy as np
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from backend import layers
from backend.inference.protocol import InspectorError
from backend.infra.cache import CacheError
from backend.infra.safe_regex import PatternError, compile_pattern, match_mask
from backend.layers.module_tree import filtered_tops, page_rows, sort_nodes
from backend.overview.encodings import default_encodings
from backend.present.formatting import format_metric
from backend.viewstate.codec import build_query, decode_ids, encode_ids, first
from backend.viewstate.links import detail_models
from components.layers.cells import change_legend
from components.layers.heatmap import HEATMAP_TITLES, distribution_figure, heatmap_figure, instance_figure
from components.layers.table import pager, tree_table
from components.shared import ids
from server.context import engine, experiment

VIEWS = ("tree", "heatmap")
DIRECTIONS = ("desc", "asc")
HEATMAP_ROWS = 300
NO_DATA = "No data yet: press Load layers to compute them (cached afterwards)."


# --- URL <-> state ---------------------------------------------------------------------------
def parse_sort(value: str | None, models: list[str]) -> tuple[str, str] | None:
    """'model:desc' → (model, 'desc') when the model is compared and the direction known."""
    if not value:
        return None
    model, _, direction = value.rpartition(":")
    if model in models and direction in DIRECTIONS:
        return model, direction
    return None


def parse_state(query: Mapping[str, str | list[str]], known) -> tuple[dict, list[str]]:
    """The view state of a URL and one notice per part that had to be ignored."""
    models, base, notices = detail_models(query.get("models"), query.get("base"), known)
    tensor = first(query.get("tensor")) or "sparsity"
    if tensor not in layers.TENSORS:
        notices.append(f"Unknown tensor type '{tensor}' (sparsity, weights or activations); "
                       "showing sparsity.")
        tensor = "sparsity"
    view = first(query.get("view")) or "tree"
    if view not in VIEWS:
        notices.append(f"Unknown view '{view}'; showing the tree.")
        view = "tree"
    sort = first(query.get("sort")) or ""
    if sort and parse_sort(sort, models) is None:
        notices.append(f"Ignored sort '{sort}': use <compared model>:desc or :asc.")
        sort = ""
    page_text = first(query.get("page")) or "1"
    try:
        page = int(page_text)
        if page < 1:
            raise ValueError
    except ValueError:
        notices.append(f"Ignored page '{page_text}'.")
        page = 1
    state = {
        "models": models, "base": base, "tensor": tensor, "view": view,
        "match": first(query.get("match")) or "", "sort": sort, "page": page,
        "open": decode_ids(query.get("open")), "sel": first(query.get("sel")) or None,
        "module": first(query.get("module")) or None, "instance": first(query.get("instance")) or None,
    }
    return state, notices


def state_query(state: dict) -> str:
    """The query string of a view state (keys in a stable, readable order)."""
    return build_query({
        "models": encode_ids(state.get("models") or []), "base": state.get("base"),
        "tensor": state.get("tensor") if state.get("tensor") != "sparsity" else None,
        "view": state.get("view") if state.get("view") != "tree" else None,
        "match": state.get("match"), "sort": state.get("sort"),
        "page": str(state["page"]) if state.get("page", 1) > 1 else None,
        "open": encode_ids(state.get("open") or []), "sel": state.get("sel"),
        "module": state.get("module"), "instance": state.get("instance"),
    })


def apply_event(state: dict, event: dict | None) -> dict:
    """A row click, key press, sort click or page step from the browser, applied to the state."""
    if not isinstance(event, dict):
        return state
    s = dict(state)
    opened = list(s.get("open") or [])
    action, node = event.get("action"), event.get("node")
    kids = bool(event.get("kids"))
    if action in ("select", "toggle", "expand", "collapse") and isinstance(node, str):
        s["sel"] = node
        if kids and (action == "expand" or (action == "toggle" and node not in opened)):
            if node not in opened:
                opened.append(node)
        elif action in ("collapse", "toggle") and node in opened:
            opened.remove(node)
    elif action == "sort" and event.get("model") in (s.get("models") or []):
        current = parse_sort(s.get("sort"), s["models"])
        model = event["model"]
        if current is None or current[0] != model:
            s["sort"] = f"{model}:desc"
        elif current[1] == "desc":
            s["sort"] = f"{model}:asc"
        else:
            s["sort"] = ""
        s["page"] = 1
    elif action == "page":
        try:
            s["page"] = max(1, int(s.get("page") or 1) + int(event.get("delta") or 0))
        except (TypeError, ValueError):
            return state
    s["open"] = opened
    return s


# --- rendering -------------------------------------------------------------------------------
def metric_lines(models: list[str]) -> dict[str, str]:
    """Each model's headline metric (the overview's default y: accuracy when there is one)."""
    forest = experiment().forest
    name = default_encodings([m.name for m in forest.primary_metrics]).get("y")
    spec = next((m for m in forest.metrics if m.name == name), None)
    if spec is None:
        return {}
    out = {}
    for m in models:
        value = forest[m].metrics.get(name) if m in forest else None
        if value is not None:
            out[m] = f"{name} {format_metric(value, spec.format, spec.unit)}"
    return out


def _pattern(view, text: str) -> tuple[list[bool] | None, str]:
    try:
        pattern = compile_pattern(text)
        return (match_mask(pattern, view.tree.names) if pattern is not None else None), ""
    except PatternError as exc:
        return None, str(exc)


def render(state: dict) -> tuple[list, list, str, str]:
    """(content, pager, regex message, input class) for a state, read from the cache."""
    models, base, tensor = state["models"], state["base"], state["tensor"]
    match = state.get("match") or ""
    try:
        view = layers.load_view(engine(), models, base, tensor)
    except (InspectorError, CacheError) as exc:
        return [html.P(str(exc), className="cc-warn")], [], "", "cc-ly-input"
    if view is None:
        message = _pattern_message(match)
        return ([html.Div(NO_DATA, className="cc-ly-nodata")], [], message,
                "cc-ly-input cc-ly-invalid" if message else "cc-ly-input")
    mask, message = _pattern(view, match)
    input_class = "cc-ly-input cc-ly-invalid" if message else "cc-ly-input"
    if state.get("view") == "heatmap":
        return heatmap_block(view, tensor, mask, state.get("module")), [], message, input_class
    tree = view.tree
    sort = parse_sort(state.get("sort"), models)
    if sort is not None:
        keys = view.change(sort[0], tensor)
        pool = mask if mask is not None else view.rankable
        tops = sort_nodes([i for i in range(len(tree)) if pool[i]], keys, sort[1] == "desc")
    elif mask is not None:
        tops = filtered_tops(tree, mask)
    else:
        tops = tree.roots
    expanded = {tree.index[n] for n in state.get("open") or [] if n in tree.index}
    page = page_rows(tree, tops, expanded, int(state.get("page") or 1))
    table = tree_table(view, tensor, page, state.get("sel"), set(state.get("open") or []), sort,
                       metric_lines(models))
    content = [table] if tensor == "sparsity" else [change_legend(), table]
    return content, [pager(page, flat=sort is not None or mask is not None)], message, input_class


def _pattern_message(text: str) -> str:
    try:
        compile_pattern(text)
        return ""
    except PatternError as exc:
        return str(exc)


def heatmap_block(view, tensor: str, mask: list[bool] | None, module: str | None) -> list:
    """The layers × models heatmap, and the distributions of the clicked module."""
    tree = view.tree
    rows = [i for i in range(len(tree)) if view.rankable[i] and (mask is None or mask[i])]
    others = [m for m in view.models if m != view.base]
    if not others:
        return [html.P("Add a model besides the base to see changes.", className="cc-hint")]
    note = []
    if len(rows) > HEATMAP_ROWS:
        note = [html.P(f"Showing the first {HEATMAP_ROWS} of {len(rows)} modules; filter to narrow.",
                       className="cc-hint")]
        rows = rows[:HEATMAP_ROWS]
    names = [tree.names[i] for i in rows]
    values = view.heatmap(tensor, rows)
    figure = heatmap_figure(names, others, values, tensor, module)
    graph = dcc.Graph(id=ids.LY_HEATMAP, figure=figure, config={"displayModeBar": False},
                      className="cc-ly-heatmap")
    if module in tree.index and (view.source == "parameters" or view.has_data[tree.index[module]]):
        edges, fractions = view.distributions(tree.index[module])
        detail = dcc.Graph(id=ids.LY_DIST, figure=distribution_figure(module, edges, fractions, view.base),
                           config={"displayModeBar": False})
    else:
        detail = html.P("Click a cell to overlay the value distributions of every model for that module.",
                        className="cc-hint", id=ids.LY_DIST)
    title = html.Div(f"{HEATMAP_TITLES[tensor]}, vs. base {view.base}", className="cc-ly-heat-title")
    return [*note, html.Div([html.Div([title, graph], className="cc-ly-heat-left"),
                             html.Div(detail, className="cc-ly-heat-right")], className="cc-ly-heat")]


# --- the instance drill-down -----------------------------------------------------------------
def instance_row(instance: str | None) -> tuple[int | None, str]:
    """The dataset row of an instance id, or (None, why)."""
    if not instance:
        return None, ""
    dataset = engine().dataset
    hits = np.flatnonzero(np.asarray(dataset.ids).astype(str) == str(instance))
    if hits.size == 0:
        return None, f"Unknown instance id '{instance}'."
    return int(hits[0]), ""


def instance_panel(state: dict, result: layers.InstanceDivergence, row: int) -> list:
    """The instance, its per-layer distances and where each model first diverges."""
    eng = engine()
    preview = []
    try:
        rendered = eng.render_instance(row)
        if rendered.mime == "image/png":
            src = "data:image/png;base64," + base64.b64encode(rendered.data).decode()
            preview = [html.Img(src=src, className="cc-ly-inst-img", alt=f"instance {state['instance']}")]
        else:
            preview = [html.Pre(str(rendered.data)[:400], className="cc-ly-inst-text")]
    except InspectorError as exc:  # a plug-in bug must not hide the distances
        preview = [html.P(f"cannot render the instance: {exc}", className="cc-hint")]
    label = ""
    labels = np.asarray(eng.dataset.labels)
    if row < len(labels) and eng.dataset.class_names:
        label = f" · label {eng.dataset.class_names[int(labels[row])]}"
    items = []
    for model, layer in result.first.items():
        if layer is None:
            items.append(html.Li([html.Code(model), f" stays within {result.threshold:.0%} of the base"]))
        else:
            d = result.distances[model][result.layers.index(layer)]
            items.append(html.Li([html.Code(model), " first diverges at ", html.B(layer),
                                  f" (distance {d:.3f})"]))
    return [
        html.Div([*preview, html.Div([html.B(f"Instance {state['instance']}"), label,
                                      html.Ul(items, className="cc-ly-inst-list")])],
                 className="cc-ly-inst-head"),
        dcc.Graph(figure=instance_figure(result.layers, result.distances, result.first, result.threshold),
                  config={"displayModeBar": False}),
    ]


def _throttled(set_progress: Callable, min_interval: float = 0.25) -> layers.Progress:
    last = [0.0]

    def report(done: float, total: float, _message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= min_interval or done >= total:
            last[0] = now
            set_progress((f"{done:.3f}", str(total)))

    return report


# --- callbacks -------------------------------------------------------------------------------
@callback(
    Output(ids.LY_STATE, "data"),
    Input(ids.LY_EVENT, "data"),
    Input(ids.LY_MATCH, "value"),
    Input(ids.LY_TENSOR, "value"),
    Input(ids.LY_VIEW, "value"),
    Input(ids.LY_INSTANCE, "value"),
    State(ids.LY_STATE, "data"),
    prevent_initial_call=True,
)
def update_state(event: dict | None, match: str | None, tensor: str | None, view: str | None,
                 instance: str | None, state: dict) -> dict:
    """Every control of the page changes the one state store."""
    if not state:
        return no_update
    trigger = ctx.triggered_id
    s = dict(state)
    if trigger == ids.LY_EVENT:
        s = apply_event(state, event)
    elif trigger == ids.LY_MATCH:
        s["match"], s["page"] = (match or "").strip(), 1
    elif trigger == ids.LY_TENSOR and tensor in layers.TENSORS:
        s["tensor"] = tensor
    elif trigger == ids.LY_VIEW and view in VIEWS:
        s["view"] = view
    elif trigger == ids.LY_INSTANCE:
        s["instance"] = (instance or "").strip() or None
    return s if s != state else no_update


@callback(
    Output(ids.LY_STATE, "data", allow_duplicate=True),
    Input(ids.LY_HEATMAP, "clickData"),
    State(ids.LY_STATE, "data"),
    prevent_initial_call=True,
)
def pick_module(click: dict | None, state: dict) -> dict:
    """A heatmap click opens the distributions of that module."""
    try:
        module = click["points"][0]["y"]
    except (TypeError, KeyError, IndexError):
        return no_update
    return {**state, "module": module, "sel": module}


@callback(
    Output(ids.LY_CONTENT, "children"),
    Output(ids.LY_PAGER, "children"),
    Output(ids.LY_MATCH_MSG, "children"),
    Output(ids.LY_MATCH, "className"),
    Output(f"{ids.LY_STATUS}-initial", "children"),
    Input(ids.LY_STATE, "data"),
    Input(ids.LY_READY, "data"),
    prevent_initial_call=True,
)
def redraw(state: dict, _ready: dict | None) -> tuple[list, list, str, str, str]:
    """The tree (or heatmap) for the state, from the cache (the page-load status is dropped)."""
    return (*render(state), "")


@callback(Output(ids.URL, "search", allow_duplicate=True), Input(ids.LY_STATE, "data"),
          prevent_initial_call=True)
def write_url(state: dict) -> str:
    """Every view change is a bookmark."""
    return state_query(state)


@callback(
    Output(ids.LY_READY, "data"),
    Output(ids.LY_STATUS, "children"),
    Input(ids.LY_LOAD, "n_clicks"),
    State(ids.LY_STATE, "data"),
    background=True,
    prevent_initial_call=True,
    progress=[Output(ids.LY_PROGRESS, "value"), Output(ids.LY_PROGRESS, "max")],
    running=[
        (Output(ids.LY_LOAD, "disabled"), True, False),
        (Output(ids.LY_CANCEL, "disabled"), False, True),
        (Output(ids.LY_TENSOR, "disabled"), True, False),
        (Output({"type": ids.DETAIL_BASE, "page": "layers"}, "disabled"), True, False),
    ],
    cancel=[Input(ids.LY_CANCEL, "n_clicks")],
)
def load_layers(set_progress, _clicks: int, state: dict) -> tuple:
    """Stream each model against the base (cached pairs are skipped), with progress."""
    t0 = time.perf_counter()
    tensor = state["tensor"]
    try:
        layers.compute(engine(), state["models"], state["base"], tensor, _throttled(set_progress))
    except (InspectorError, CacheError, OSError) as exc:
        return no_update, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return {"tensor": tensor, "t": time.time()}, f"Layers ready in {time.perf_counter() - t0:.1f} s."


@callback(
    Output(ids.LY_INST_BOX, "className"),
    Output(ids.LY_INST_RESULT, "children"),
    Output(ids.LY_INST_KEY, "data"),
    Input(ids.LY_STATE, "data"),
    State(ids.LY_INST_KEY, "data"),
)
def show_instance(state: dict, shown: str | None) -> tuple:
    """The drill-down box appears when an instance is named; cached distances show at once."""
    instance = state.get("instance") if state else None
    key = f"{instance}|{state.get('base')}|{','.join(state.get('models') or [])}" if instance else None
    if key == shown:
        return no_update, no_update, no_update
    if not instance:
        return "cc-ly-inst cc-hidden", [], None
    try:
        row, why = instance_row(instance)
        if row is None:
            return "cc-ly-inst", [html.P(why, className="cc-warn")], key
        result = layers.load_instance(engine(), state["models"], state["base"], row)
    except (InspectorError, CacheError) as exc:
        return "cc-ly-inst", [html.P(str(exc), className="cc-warn")], key
    if result is None:
        return "cc-ly-inst", [html.P("Press Compare activations to run every model on this instance.",
                                     className="cc-hint")], key
    return "cc-ly-inst", instance_panel(state, result, row), key


@callback(
    Output(ids.LY_INST_RESULT, "children", allow_duplicate=True),
    Output(ids.LY_INST_STATUS, "children"),
    Input(ids.LY_INST_LOAD, "n_clicks"),
    State(ids.LY_STATE, "data"),
    background=True,
    prevent_initial_call=True,
    progress=[Output(ids.LY_INST_PROGRESS, "value"), Output(ids.LY_INST_PROGRESS, "max")],
    running=[(Output(ids.LY_INST_LOAD, "disabled"), True, False),
             (Output(ids.LY_INST_CANCEL, "disabled"), False, True)],
    cancel=[Input(ids.LY_INST_CANCEL, "n_clicks")],
)
def load_instance(set_progress, _clicks: int, state: dict) -> tuple:
    """Run every model on one instance (cached per model), then compare layer by layer."""
    t0 = time.perf_counter()
    try:
        row, why = instance_row(state.get("instance"))
        if row is None:
            return no_update, why or "Name an instance first."
        result = layers.compute_instance(engine(), state["models"], state["base"], row,
                                         _throttled(set_progress))
    except (InspectorError, CacheError) as exc:
        return no_update, str(exc)
    return instance_panel(state, result, row), f"Compared in {time.perf_counter() - t0:.1f} s."
