"""The Layers page's layout: sidebar, toolbar, job strips and the content area (pure builders).

Why here: ``pages/layers.py`` only parses the URL and asks the backend what is cached; the
structure of the page (and every component id the callbacks and tests use) is built here.
"""

from __future__ import annotations

from dash import dcc, html

from backend.layers import TENSOR_LABELS, TENSORS
from backend.viewstate.layers import LayersView
from backend.viewstate.links import MAX_MODELS
from components.shared import ids
from components.shared.detail_sidebar import detail_sidebar
from components.shared.jobs import job_controls
from components.shared.nav import page_path
from components.shared.store import store

NOTE = "To modify the selection, return to the Compression Overview."
NO_DATA = "No data yet: press Load layers to compute them (cached afterwards)."


# --- small pieces the callbacks also return ------------------------------------------------------
def warn(text: str) -> html.P:
    """A problem the page shows in place of what it could not build."""
    return html.P(text, className="cc-warn")


def hint(text: str) -> html.P:
    """A quiet explanation of what to do next."""
    return html.P(text, className="cc-hint")


def no_data() -> list:
    """The content area before the statistics of this view were computed."""
    return [html.Div(NO_DATA, className="cc-ly-nodata")]


def input_class(message: str) -> str:
    """The filter box's class: red when its pattern has a problem."""
    return "cc-ly-input cc-ly-invalid" if message else "cc-ly-input"


# --- the page ------------------------------------------------------------------------------------
def placeholder(notices: list[str]) -> html.Div:
    """The page without models: what to do to get some."""
    return html.Div([
        html.H2("Layers"), *[warn(n) for n in notices],
        html.P(f"Select 1–{MAX_MODELS} models on the overview and press Layers, or open "
               f"{page_path('layers')}?models=a,b,c&base=a.", className="cc-hint"),
    ], className="cc-placeholder")


def _side_controls(view: LayersView) -> html.Div:
    return html.Div([
        html.Label("Visualize:", htmlFor=ids.LY_TENSOR),
        dcc.Dropdown(id=ids.LY_TENSOR, value=view.tensor, clearable=False, searchable=False,
                     options=[{"label": TENSOR_LABELS[t], "value": t} for t in TENSORS]),
        html.Label("Instance (drill-down):", htmlFor=ids.LY_INSTANCE),
        dcc.Input(id=ids.LY_INSTANCE, type="text", value=view.instance or "", debounce=True,
                  placeholder="instance id, e.g. from Behaviors", className="cc-ly-input"),
        html.P("Per-layer activation distance of each model to the base for one input.",
               className="cc-hint"),
    ], className="cc-ly-side-controls")


def _toolbar(view: LayersView, box_class: str, message: str) -> html.Div:
    return html.Div([
        html.Label("Filter modules:", htmlFor=ids.LY_MATCH, className="cc-control-label"),
        dcc.Input(id=ids.LY_MATCH, type="text", value=view.match, placeholder="RegEx", debounce=0.4,
                  className=box_class, spellCheck=False),
        html.Span(message, id=ids.LY_MATCH_MSG, className="cc-ly-match-msg"),
        html.Span(className="cc-spacer"),
        dcc.RadioItems(id=ids.LY_VIEW, value=view.display, inline=True, className="cc-tabs cc-ly-views",
                       options=[{"label": "Tree", "value": "tree"},
                                {"label": "Heatmap", "value": "heatmap"}]),
    ], className="cc-ly-toolbar")


def _instance_box(box_class: str, result: list) -> html.Div:
    return html.Div([
        html.Div([html.B("Instance drill-down"),
                  html.Span(" per-layer activation distance of each model to the base", className="cc-hint"),
                  job_controls(ids.LY_INST_LOAD, ids.LY_INST_CANCEL, ids.LY_INST_PROGRESS,
                               ids.LY_INST_STATUS, "Compare activations")],
                 className="cc-ly-inst-top"),
        html.Div(result, id=ids.LY_INST_RESULT),
    ], id=ids.LY_INST_BOX, className=box_class)


def page_layout(view: LayersView, notices: list[str], status: str,
                rendered: tuple[list, list, str, str],
                instance: tuple[str, list, str | None] = ("cc-ly-inst cc-hidden", [], None)) -> html.Div:
    """The whole page for a view: ``rendered`` is (content, pager, pattern message, box class),
    ``instance`` the drill-down's (box class, content, shown key), so no callback runs on load."""
    content, pager, message, box_class = rendered
    inst_class, inst_result, inst_key = instance
    return html.Div([
        dcc.Store(id=ids.LY_STATE, data=view.to_store()),
        dcc.Store(id=ids.LY_EVENT),
        dcc.Store(id=ids.LY_READY),
        store(ids.LY_INST_KEY, inst_key),
        html.Div([detail_sidebar("layers", list(view.models), view.base, NOTE), _side_controls(view)],
                 className="cc-ly-side"),
        html.Div([
            html.Div([warn(n) for n in notices], id=ids.LY_NOTICE),
            html.Div([html.H2("Layers"), job_controls(ids.LY_LOAD, ids.LY_CANCEL, ids.LY_PROGRESS,
                                                      ids.LY_STATUS, "Load layers")], className="cc-ly-top"),
            html.Div(status, className="cc-status-line", id=f"{ids.LY_STATUS}-initial"),
            _instance_box(inst_class, inst_result),
            _toolbar(view, box_class, message),
            html.Div(content, id=ids.LY_CONTENT, className="cc-ly-content"),
            html.Div(pager, id=ids.LY_PAGER),
        ], className="cc-ly-main"),
    ], className="cc-layers")
