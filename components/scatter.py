"""The Model Scatterplot (spec §1.5): every model, two metrics, shared colour and size."""

from __future__ import annotations

from html import escape

import numpy as np
import plotly.graph_objects as go

from backend.forest import ExperimentForest
from backend.formatting import format_metric
from backend.scales import SELECTION, domain, grey_colors, sqrt_scale
from components.model_map import metric_array

WEBGL_THRESHOLD = 1000


def _metric_text(forest: ExperimentForest, value: float | None, metric: str) -> str:
    spec = forest.metric(metric)
    return format_metric(value, spec.format if spec else None, spec.unit if spec else None)


def scatter_figure(
    forest: ExperimentForest,
    x: str | None,
    y: str | None,
    color: str | None,
    size: str | None,
    selected: list[str] | tuple[str, ...] = (),
) -> go.Figure:
    """Scatter of all models with the selection outlined; WebGL past a thousand points."""
    xs, ys = metric_array(forest, x), metric_array(forest, y)
    ids = np.array(forest.ids, dtype=object)
    if color:
        cvals = metric_array(forest, color)
        colors = grey_colors(cvals, *domain(forest.metric(color), cvals), missing="#ffffff")
    else:
        colors = ["#3378F6"] * len(forest)
    svals = metric_array(forest, size)
    if size and np.isfinite(svals).any():
        lo, hi = domain(forest.metric(size), svals)
        radius = 4 * sqrt_scale(svals, lo, hi, 0.75, 2.0)
    else:
        radius = np.full(len(forest), 5.2)
    chosen = np.isin(ids, list(selected))
    hover = [f"<b>{escape(m.title)}</b>" + "".join(
        f"<br>{escape(name)}: {_metric_text(forest, m.metrics.get(name), name)}"
        for name in (x, y) if name) for m in forest]
    trace = go.Scattergl if len(forest) > WEBGL_THRESHOLD else go.Scatter
    fig = go.Figure(trace(
        x=xs, y=ys, mode="markers", customdata=ids, text=hover, hovertemplate="%{text}<extra></extra>",
        marker={"color": colors, "size": 2 * radius, "opacity": 0.85,
                "line": {"color": np.where(chosen, SELECTION, "#9ca3af").tolist(),
                         "width": np.where(chosen, 3.5, 1).tolist()}},
        selectedpoints=None,
    ))
    fig.update_layout(
        margin={"l": 56, "r": 12, "t": 8, "b": 44}, plot_bgcolor="white", paper_bgcolor="white",
        dragmode="select", clickmode="event+select", uirevision=f"{x}|{y}", showlegend=False,
        xaxis={"title": {"text": x or ""}, "gridcolor": "#eef0f3", "zeroline": False},
        yaxis={"title": {"text": y or ""}, "gridcolor": "#eef0f3", "zeroline": False},
        font={"family": "system-ui, sans-serif", "size": 11},
    )
    return fig
