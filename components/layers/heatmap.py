"""Figures of the Layers page beyond the reference: the layers × models heatmap, the
overlaid distributions of one module, and the per-instance activation distances.

Plain figure dicts (no plotly.graph_objects): cheap to build and to test.
"""

from __future__ import annotations

import math

import numpy as np
from dash import dcc, html

from backend.layers import HeatmapData
from components.layers.cells import SYSTEM_BLUE, SYSTEM_PINK, VERY_LIGHT_BLUE
from components.shared import ids

PALETTE = ("#308BEF", "#4DC960", "#FF9500", "#EF5C53", "#A34FCD", "#00A39B", "#98685E", "#EEDB41")
HEATMAP_TITLES = {
    "sparsity": "Change in the share of zeros (model − base)",
    "weights": "Relative weight change Σ|w − w_base| / max(Σ|w|, Σ|w_base|)",
    "activations": "Activation divergence ‖a − a_base‖ / max(‖a‖, ‖a_base‖)",
}
_FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 11}


def _clean(values: np.ndarray) -> list:
    return [[None if not math.isfinite(v) else float(v) for v in row] for row in values]


def heatmap_figure(modules: list[str], models: list[str], values: np.ndarray, tensor: str,
                   selected: str | None = None) -> dict:
    """Rows = modules (tree order, top first), columns = models; click opens distributions."""
    if tensor == "sparsity":
        scale = [[0, SYSTEM_PINK], [0.5, "#f9fafb"], [1, SYSTEM_BLUE]]
        zmin, zmax, fmt = -1.0, 1.0, "+.1%"
    else:
        scale = [[0, "#f9fafb"], [0.15, VERY_LIGHT_BLUE], [1, SYSTEM_BLUE]]
        zmin, zmax, fmt = 0.0, 1.0, ".1%"
    z = _clean(values)
    height = max(260, 60 + 18 * len(modules))
    fig = {
        "data": [{
            "type": "heatmap", "z": z, "x": models, "y": modules, "zmin": zmin, "zmax": zmax,
            "colorscale": scale, "xgap": 1, "ygap": 1, "hoverongaps": False,
            "colorbar": {"thickness": 10, "tickformat": fmt, "len": min(1.0, 300 / height)},
            "hovertemplate": "%{y}<br>%{x}: %{z:" + fmt + "}<extra></extra>",
        }],
        "layout": {
            "height": height, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, "font": _FONT,
            "xaxis": {"side": "top", "tickangle": 0, "automargin": True, "type": "category"},
            "yaxis": {"autorange": "reversed", "automargin": True, "type": "category"},
            "plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff",
        },
    }
    if selected in modules:
        fig["layout"]["shapes"] = [{"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                                    "y0": modules.index(selected) - 0.5, "y1": modules.index(selected) + 0.5,
                                    "line": {"color": "#60a5fa", "width": 2}}]
    return fig


def distribution_figure(module: str, edges: np.ndarray, fractions: dict[str, np.ndarray],
                        base: str) -> dict:
    """Every model's value distribution of one module on shared bins (log y: tails stay visible)."""
    centers = ((edges[:-1] + edges[1:]) / 2).tolist()
    data = []
    for i, (model, frac) in enumerate(fractions.items()):
        data.append({
            "type": "scatter", "mode": "lines+markers", "marker": {"size": 4},
            "line": {"shape": "hvh", "width": 2.5 if model == base else 1.8,
                     "color": PALETTE[i % len(PALETTE)], "dash": "dot" if model == base else "solid"},
            "x": centers, "y": [float(v) if v > 0 else None for v in frac], "connectgaps": False,
            "name": model + (" (base)" if model == base else ""),
            "hovertemplate": "%{x:.3~g}: %{y:.2%}<extra>" + model + "</extra>",
        })
    return {
        "data": data,
        "layout": {
            "height": 320, "margin": {"l": 56, "r": 10, "t": 30, "b": 40}, "font": _FONT,
            "title": {"text": f"Value distribution of {module}", "font": {"size": 12}, "x": 0,
                      "xanchor": "left"},
            "xaxis": {"title": {"text": "value"}, "zeroline": False},
            "yaxis": {"title": {"text": "share of values (log)"}, "type": "log", "tickformat": ".2~%"},
            "legend": {"orientation": "h", "y": -0.25},
            "plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff",
        },
    }


def instance_figure(layers: list[str], distances: dict[str, list[float]], first: dict[str, str | None],
                    threshold: float) -> dict:
    """Per-layer distance to the base for one input, one line per model, first divergence marked."""
    data = []
    for i, (model, row) in enumerate(distances.items()):
        color = PALETTE[(i + 1) % len(PALETTE)]
        data.append({"type": "scatter", "mode": "lines+markers", "x": layers,
                     "y": [v if math.isfinite(v) else None for v in row], "name": model,
                     "line": {"color": color}, "hovertemplate": "%{x}: %{y:.3f}<extra>" + model + "</extra>"})
        if first.get(model) is not None:
            j = layers.index(first[model])
            data.append({"type": "scatter", "mode": "markers", "x": [layers[j]], "y": [row[j]],
                         "marker": {"symbol": "circle-open", "size": 14, "color": color,
                                    "line": {"width": 2}},
                         "showlegend": False, "hoverinfo": "skip"})
    return {
        "data": data,
        "layout": {
            "height": 220, "margin": {"l": 50, "r": 10, "t": 10, "b": 30}, "font": _FONT,
            "xaxis": {"type": "category"},
            "yaxis": {"title": {"text": "distance to base"}, "rangemode": "tozero"},
            "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": threshold, "y1": threshold,
                        "line": {"dash": "dot", "color": "#9ca3af", "width": 1}}],
            "legend": {"orientation": "h", "y": -0.2},
            "plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff",
        },
    }


def heatmap_block(data: HeatmapData, tensor: str, base: str) -> list:
    """The layers × models heatmap, and the distributions of the clicked module beside it."""
    if not data.models:
        return [html.P("Add a model besides the base to see changes.", className="cc-hint")]
    note = []
    if data.total > len(data.modules):
        note = [html.P(f"Showing the first {len(data.modules)} of {data.total} modules; filter to narrow.",
                       className="cc-hint")]
    figure = heatmap_figure(data.modules, data.models, data.values, tensor, data.module)
    graph = dcc.Graph(id=ids.LY_HEATMAP, figure=figure, config={"displayModeBar": False},
                      className="cc-ly-heatmap")
    if data.edges is not None and data.fractions is not None:
        figure = distribution_figure(data.module, data.edges, data.fractions, base)
        detail = dcc.Graph(id=ids.LY_DIST, figure=figure, config={"displayModeBar": False})
    else:
        detail = html.P("Click a cell to overlay the value distributions of every model for that module.",
                        className="cc-hint", id=ids.LY_DIST)
    title = html.Div(f"{HEATMAP_TITLES[tensor]}, vs. base {base}", className="cc-ly-heat-title")
    return [*note, html.Div([html.Div([title, graph], className="cc-ly-heat-left"),
                             html.Div(detail, className="cc-ly-heat-right")], className="cc-ly-heat")]


def clicked_module(click: dict | None) -> str | None:
    """The module (the y category) of a click on :func:`heatmap_figure`, or None."""
    try:
        module = click["points"][0]["y"]
    except (TypeError, KeyError, IndexError):
        return None
    return module if isinstance(module, str) else None
