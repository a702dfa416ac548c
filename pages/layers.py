"""Layers: sparsity, weight and activation changes of up to 16 models against a base.

The URL is the view (``models``, ``base``, ``tensor``, ``view``, ``match``, ``sort``, ``page``,
``open``, ``sel``, ``module``, ``instance``). Statistics come from ``backend.layers``: shown at
once when cached, else computed by the "Load layers" background job with progress and cancel.
"""

from __future__ import annotations

import dash
from dash import dcc, html

import pages._layers_callbacks as cb
from backend import layers
from backend.inference.protocol import InspectorError
from backend.infra.cache import CacheError
from components.shared import ids
from components.shared.detail_sidebar import detail_sidebar
from components.shared.jobs import job_controls
from server.context import engine, experiment

dash.register_page(__name__, path="/layers", title="Layers · Compress & Compare", name="Layers")

NOTE = "To modify the selection, return to the Compression Overview."


def _side_controls(state: dict) -> html.Div:
    return html.Div([
        html.Label("Visualize:", htmlFor=ids.LY_TENSOR),
        dcc.Dropdown(id=ids.LY_TENSOR, value=state["tensor"], clearable=False, searchable=False,
                     options=[{"label": layers.TENSOR_LABELS[t], "value": t} for t in layers.TENSORS]),
        html.Label("Instance (drill-down):", htmlFor=ids.LY_INSTANCE),
        dcc.Input(id=ids.LY_INSTANCE, type="text", value=state["instance"] or "", debounce=True,
                  placeholder="instance id, e.g. from Behaviors", className="cc-ly-input"),
        html.P("Per-layer activation distance of each model to the base for one input.",
               className="cc-hint"),
    ], className="cc-ly-side-controls")


def _toolbar(state: dict, input_class: str, message: str) -> html.Div:
    return html.Div([
        html.Label("Filter modules:", htmlFor=ids.LY_MATCH, className="cc-control-label"),
        dcc.Input(id=ids.LY_MATCH, type="text", value=state["match"], placeholder="RegEx", debounce=0.4,
                  className=input_class, spellCheck=False),
        html.Span(message, id=ids.LY_MATCH_MSG, className="cc-ly-match-msg"),
        html.Span(className="cc-spacer"),
        dcc.RadioItems(id=ids.LY_VIEW, value=state["view"], inline=True, className="cc-tabs cc-ly-views",
                       options=[{"label": "Tree", "value": "tree"},
                                {"label": "Heatmap", "value": "heatmap"}]),
    ], className="cc-ly-toolbar")


def layout(**query: str) -> html.Div:
    """The page for a URL; cached statistics are rendered at once, bad input is a notice."""
    forest = experiment().forest
    state, notices = cb.parse_state(query, forest)
    warn = [html.P(n, className="cc-warn") for n in notices]
    if not state["models"]:
        return html.Div([
            html.H2("Layers"), *warn,
            html.P("Select 1–16 models on the overview and press Layers, or open "
                   "/layers?models=a,b,c&base=a.", className="cc-hint"),
        ], className="cc-placeholder")
    status = ""
    try:
        eng = engine()
        cached = layers.ready(eng, state["models"], state["base"], state["tensor"])
        status = "Loaded from cache." if cached else ""
    except (InspectorError, CacheError) as exc:
        warn.append(html.P(str(exc), className="cc-warn"))
    content, pager, message, input_class = cb.render(state)
    toolbar = _toolbar(state, input_class, message)
    return html.Div([
        dcc.Store(id=ids.LY_STATE, data=state),
        dcc.Store(id=ids.LY_EVENT),
        dcc.Store(id=ids.LY_READY),
        dcc.Store(id=ids.LY_INST_KEY),
        html.Div([detail_sidebar("layers", state["models"], state["base"], NOTE), _side_controls(state)],
                 className="cc-ly-side"),
        html.Div([
            html.Div(warn, id=ids.LY_NOTICE),
            html.Div([html.H2("Layers"), job_controls(ids.LY_LOAD, ids.LY_CANCEL, ids.LY_PROGRESS,
                                                      ids.LY_STATUS, "Load layers")], className="cc-ly-top"),
            html.Div(status, className="cc-status-line", id=f"{ids.LY_STATUS}-initial"),
            html.Div([
                html.Div([html.B("Instance drill-down"),
                          html.Span(" per-layer activation distance of each model to the base",
                                    className="cc-hint"),
                          job_controls(ids.LY_INST_LOAD, ids.LY_INST_CANCEL, ids.LY_INST_PROGRESS,
                                       ids.LY_INST_STATUS, "Compare activations")],
                         className="cc-ly-inst-top"),
                html.Div(id=ids.LY_INST_RESULT),
            ], id=ids.LY_INST_BOX, className="cc-ly-inst cc-hidden"),
            toolbar,
            html.Div(content, id=ids.LY_CONTENT, className="cc-ly-content"),
            html.Div(pager, id=ids.LY_PAGER),
        ], className="cc-ly-main"),
    ], className="cc-layers")
