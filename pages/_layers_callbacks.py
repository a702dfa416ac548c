"""Callbacks of the Layers page: wiring between its controls, the URL and ``backend.layers``.

The view (``backend.viewstate.layers.LayersView``) lives in one store that mirrors the query
string; every change is written back to the URL. Statistics are read from the cache on each
render (memoised per process by content key), so any gunicorn worker can answer, and nothing
per-user is kept on the server.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dash import Input, Output, State, callback, ctx, no_update

from backend import layers
from backend.inference.protocol import InspectorError
from backend.infra.cache import CacheError
from backend.viewstate.layers import LayersView, apply_event, pick_module, set_control
from components.layers.heatmap import clicked_module, heatmap_block
from components.layers.instance import instance_panel
from components.layers.layout import hint, input_class, no_data, warn
from components.layers.table import pager, tree_block
from components.shared import ids
from server.context import engine, experiment

CONTROLS = {ids.LY_MATCH: "match", ids.LY_TENSOR: "tensor", ids.LY_VIEW: "display",
            ids.LY_INSTANCE: "instance"}  # the store field each control sets
SHOWN, HIDDEN = "cc-ly-inst", "cc-ly-inst cc-hidden"
CANCELLED = "Cancelled: the job stopped; nothing partial was cached."  # what a cancel leaves


def render(view: LayersView) -> tuple[list, list, str, str]:
    """(content, pager, pattern message, filter box class) of a view, read from the cache."""
    try:
        summary = layers.load_summary(engine(), list(view.models), view.base, view.tensor)
    except (InspectorError, CacheError) as exc:
        return [warn(str(exc))], [], "", input_class("")
    if summary is None:
        message = layers.pattern_message(view.match)
        return no_data(), [], message, input_class(message)
    mask, message = layers.match_modules(summary, view.match)
    if view.display == "heatmap":
        data = layers.heatmap_data(summary, view.tensor, mask, view.module)
        return heatmap_block(data, view.tensor, summary.base), [], message, input_class(message)
    page = layers.tree_page(summary, view.tensor, mask, view.sort, view.open, view.page)
    metrics = layers.metric_lines(experiment().forest, view.models)
    content = tree_block(summary, view.tensor, page, view.sel, set(view.open), view.sort, metrics)
    flat = view.sort is not None or mask is not None  # sorted or filtered: one flat list of rows
    return content, [pager(page, flat=flat)], message, input_class(message)


def _panel(view: LayersView, row: int, result: layers.InstanceDivergence) -> list:
    return instance_panel(view.instance, result, layers.instance_preview(engine(), row))


def _throttled(set_progress: Callable, min_interval: float = 0.25) -> layers.Progress:
    """A Progress that updates the browser's bar at most every ``min_interval`` seconds."""
    last = [0.0]

    def report(done: float, total: float, _message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= min_interval or done >= total:
            last[0] = now
            set_progress((f"{done:.3f}", str(total)))

    return report


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
def update_state(event: dict | None, match: str | None, tensor: str | None, display: str | None,
                 instance: str | None, state: dict) -> dict:
    """Every control of the page changes the one view in the store."""
    if not state:
        return no_update
    view = LayersView.from_store(state)
    trigger = ctx.triggered_id
    if trigger == ids.LY_EVENT:
        new = apply_event(view, event)
    else:
        values = {ids.LY_MATCH: match, ids.LY_TENSOR: tensor, ids.LY_VIEW: display, ids.LY_INSTANCE: instance}
        new = set_control(view, CONTROLS.get(trigger), values.get(trigger))
    return new.to_store() if new != view else no_update


@callback(
    Output(ids.LY_STATE, "data", allow_duplicate=True),
    Input(ids.LY_HEATMAP, "clickData"),
    State(ids.LY_STATE, "data"),
    prevent_initial_call=True,
)
def open_module(click: dict | None, state: dict) -> dict:
    """A heatmap click opens the distributions of that module."""
    module = clicked_module(click)
    if module is None:
        return no_update
    return pick_module(LayersView.from_store(state), module).to_store()


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
    """The tree (or heatmap) for the view, from the cache (the page-load status is dropped)."""
    return (*render(LayersView.from_store(state)), "")


@callback(Output(ids.URL, "search", allow_duplicate=True), Input(ids.LY_STATE, "data"),
          prevent_initial_call=True)
def write_url(state: dict) -> str:
    """Every view change is a bookmark."""
    return LayersView.from_store(state).to_query()


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
        # shown while it runs; the "off" line stays only when no answer replaces it (a cancel)
        (Output(ids.LY_STATUS, "children"), "Computing layer statistics… (Cancel stops the job)",
         CANCELLED),
    ],
    cancel=[Input(ids.LY_CANCEL, "n_clicks")],
)
def load_layers(set_progress, _clicks: int, state: dict) -> tuple:
    """Stream each model against the base (cached pairs are skipped), with progress."""
    t0 = time.perf_counter()
    view = LayersView.from_store(state)
    try:
        layers.compute(engine(), list(view.models), view.base, view.tensor, _throttled(set_progress))
    except (InspectorError, CacheError, OSError) as exc:
        return no_update, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return {"tensor": view.tensor, "t": time.time()}, f"Layers ready in {time.perf_counter() - t0:.1f} s."


@callback(
    Output(ids.LY_INST_BOX, "className"),
    Output(ids.LY_INST_RESULT, "children"),
    Output(ids.LY_INST_KEY, "data"),
    Input(ids.LY_STATE, "data"),
    State(ids.LY_INST_KEY, "data"),
    prevent_initial_call=True,  # the layout holds the first answer (instance_outputs)
)
def show_instance(state: dict, shown: str | None) -> tuple:
    """The drill-down box appears when an instance is named; cached distances show at once."""
    view = LayersView.from_store(state)
    if view.instance_key() == shown:
        return no_update, no_update, no_update
    return instance_outputs(view)


def instance_outputs(view: LayersView) -> tuple:
    """(box class, box content, shown key) of the drill-down for a view, from the cache only."""
    key = view.instance_key()
    if key is None:
        return HIDDEN, [], None
    try:
        row, why = layers.instance_row(engine().dataset, view.instance)
        if row is None:
            return SHOWN, [warn(why)], key
        result = layers.load_instance(engine(), list(view.models), view.base, row)
        if result is None:
            return SHOWN, [hint("Press Compare activations to run every model on this instance.")], key
        return SHOWN, _panel(view, row, result), key
    except (InspectorError, CacheError) as exc:
        return SHOWN, [warn(str(exc))], key


@callback(
    Output(ids.LY_INST_RESULT, "children", allow_duplicate=True),
    Output(ids.LY_INST_STATUS, "children"),
    Input(ids.LY_INST_LOAD, "n_clicks"),
    State(ids.LY_STATE, "data"),
    background=True,
    prevent_initial_call=True,
    progress=[Output(ids.LY_INST_PROGRESS, "value"), Output(ids.LY_INST_PROGRESS, "max")],
    running=[(Output(ids.LY_INST_LOAD, "disabled"), True, False),
             (Output(ids.LY_INST_CANCEL, "disabled"), False, True),
             (Output(ids.LY_INST_STATUS, "children"), "Running every model on this instance…", CANCELLED)],
    cancel=[Input(ids.LY_INST_CANCEL, "n_clicks")],
)
def load_instance(set_progress, _clicks: int, state: dict) -> tuple:
    """Run every model on one instance (cached per model), then compare layer by layer."""
    t0 = time.perf_counter()
    view = LayersView.from_store(state)
    try:
        row, why = layers.instance_row(engine().dataset, view.instance)
        if row is None:
            return no_update, why or "Name an instance first."
        result = layers.compute_instance(engine(), list(view.models), view.base, row,
                                         _throttled(set_progress))
        return _panel(view, row, result), f"Compared in {time.perf_counter() - t0:.1f} s."
    except (InspectorError, CacheError) as exc:
        return no_update, str(exc)
