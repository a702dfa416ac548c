"""The Model Scatterplot (spec §1.5): every model, two metrics, shared colour and size.

Trace 0 holds every model and only changes with the encodings; trace 1 is a small overlay of
the selected models, so a selection change patches a few points instead of redrawing 10,000.
Hover labels use Plotly's own d3-format (``%{x:.2%}``), so no value is formatted in Python.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
from dash import Patch, dcc

from backend.experiment.forest import ExperimentForest
from backend.overview.filters import mask_of
from backend.present.scales import SELECTION, domain, grey_colors, sqrt_scale
from components.overview.model_map import metric_array

WEBGL_THRESHOLD = 1000


def escape(text: str) -> str:
    """Text for Plotly, which reads strings as pseudo-HTML: tags inert, and no '&quot;' (Plotly
    would print that entity literally)."""
    return html.escape(str(text), quote=False)


def _axis_hover(forest: ExperimentForest, metric: str, axis: str) -> str:
    spec = forest.metric(metric)
    fmt = spec.format if spec and spec.format else ".3~"
    unit = f" {escape(spec.unit)}" if spec and spec.unit else ""
    return f"<br>{escape(metric)}: %{{{axis}:{fmt}}}{unit}"


def scatter_figure(
    forest: ExperimentForest,
    x: str | None,
    y: str | None,
    color: str | None,
    size: str | None,
    selected: list[str] | tuple[str, ...] = (),
    faded: np.ndarray | None = None,
    front: list[str] | tuple[str, ...] = (),
    budgets: list[dict] | tuple[dict, ...] = (),
    flags: Mapping[str, str] | None = None,
) -> dict:
    """All models (WebGL past a thousand points) plus the selection overlay, as a figure dict.

    ``faded``: a boolean mask of filtered-out models, drawn faint (spec §1.5); ``flags``: each
    flagged model's review status, ringed in the status's colour (the last trace).
    """
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
    template = (
        "<b>%{text}</b>"
        + (_axis_hover(forest, x, "x") if x else "")
        + (_axis_hover(forest, y, "y") if y else "")
        + "<extra></extra>"
    )
    kind = "scattergl" if len(forest) > WEBGL_THRESHOLD else "scatter"
    # a plain figure dict: plotly's per-element validation of 10,000 colours costs ~0.4 s
    return {
        "data": [
            {
                "type": kind,
                "x": xs,
                "y": ys,
                "mode": "markers",
                "customdata": ids,
                "text": [escape(m.title) for m in forest],
                "hovertemplate": template,
                "name": "models",
                "marker": {
                    "color": colors,
                    "size": 2 * radius,
                    "opacity": np.where(faded, 0.13, 0.85) if faded is not None else 0.85,
                    "line": {"color": "#9ca3af", "width": 1},
                },
            },
            {
                "type": kind,
                "mode": "markers",
                "name": "selected",
                "hoverinfo": "skip",
                "showlegend": False,
                "marker": {"color": "rgba(0,0,0,0)", "size": 14, "line": {"color": SELECTION, "width": 3}},
                **selection_overlay(forest, x, y, selected),
            },
            {
                "type": kind,
                "mode": "lines+markers",
                "name": "Pareto front",
                "hoverinfo": "skip",
                "showlegend": False,
                "line": {"color": "#3378F6", "width": 2, "shape": "hv"},
                "marker": {"symbol": "diamond-open", "size": 12, "color": "#3378F6"},
                **front_trace(forest, x, y, front),
            },
            {
                "type": kind,
                "mode": "markers",
                "name": "flagged",
                "hoverinfo": "skip",
                "showlegend": False,
                **flag_trace(forest, x, y, flags or {}),
            },
        ],
        "layout": {
            "margin": {"l": 56, "r": 12, "t": 8, "b": 44},
            "plot_bgcolor": "white",
            "paper_bgcolor": "white",
            "dragmode": "select",
            "clickmode": "event+select",
            "uirevision": f"{x}|{y}",
            "showlegend": False,
            "xaxis": {"title": {"text": escape(x or "")}, "gridcolor": "#eef0f3", "zeroline": False,
                      "ticklabeloverflow": "allow"},  # no overflow pass: the margins hold the labels
            "yaxis": {"title": {"text": escape(y or "")}, "gridcolor": "#eef0f3", "zeroline": False,
                      "ticklabeloverflow": "allow"},
            "font": {"family": "system-ui, sans-serif", "size": 11},
            "shapes": budget_shapes(x, y, budgets),
        },
    }


def front_trace(
    forest: ExperimentForest, x: str | None, y: str | None, front: list[str] | tuple[str, ...]
) -> dict:
    """The front's models in x order (a step line when the axes are the two objectives)."""
    pts = sorted(
        (forest[i].metrics.get(x), forest[i].metrics.get(y), i)
        for i in front
        if i in forest
        and x
        and y
        and forest[i].metrics.get(x) is not None
        and forest[i].metrics.get(y) is not None
    )
    return {"x": [p[0] for p in pts], "y": [p[1] for p in pts], "customdata": [p[2] for p in pts]}


def budget_shapes(x: str | None, y: str | None, budgets: list[dict] | tuple[dict, ...]) -> list[dict]:
    """A dashed line for each budget on a plotted metric."""
    shapes = []
    for b in budgets or []:
        if not isinstance(b.get("value"), int | float):
            continue
        line = {"color": "#EB4B63", "width": 1.5, "dash": "dash"}
        if b.get("metric") == x:
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": b["value"],
                    "x1": b["value"],
                    "y0": 0,
                    "y1": 1,
                    "line": line,
                }
            )
        elif b.get("metric") == y:
            shapes.append(
                {
                    "type": "line",
                    "xref": "paper",
                    "yref": "y",
                    "x0": 0,
                    "x1": 1,
                    "y0": b["value"],
                    "y1": b["value"],
                    "line": line,
                }
            )
    return shapes


def opacity(forest: ExperimentForest, passing: list[str] | None) -> np.ndarray | float:
    """Filtered-out points are drawn faint (spec §1.5)."""
    mask = mask_of(forest, passing)
    return 0.85 if mask is None else np.where(mask, 0.85, 0.13)


def faded_mask(forest: ExperimentForest, passing: list[str] | None) -> np.ndarray | None:
    """The filtered-out models (``scatter_figure``'s ``faded``); None when nothing filters."""
    mask = mask_of(forest, passing)
    return None if mask is None else ~mask


def scatter_graph(component_id: str, figure: dict) -> dcc.Graph:
    """The scatterplot component (in the first layout, with the figure of pages/_overview_outputs.py)."""
    return dcc.Graph(
        id=component_id, figure=figure, config={"displaylogo": False}, className="cc-scatter",
        clear_on_unhover=True,
    )


def filter_patch(forest: ExperimentForest, passing: list[str] | None) -> Patch:
    """A Patch of the points' opacity only (a filter change)."""
    patch = Patch()
    patch["data"][0]["marker"]["opacity"] = opacity(forest, passing)
    return patch


def front_patch(forest: ExperimentForest, x: str | None, y: str | None, front: list[str]) -> Patch:
    """A Patch of the Pareto front trace only."""
    patch = Patch()
    for key, value in front_trace(forest, x, y, front).items():
        patch["data"][2][key] = value
    return patch


def budget_patch(x: str | None, y: str | None, budgets: list[dict]) -> Patch:
    """A Patch of the budget lines only."""
    patch = Patch()
    patch["layout"]["shapes"] = budget_shapes(x, y, budgets)
    return patch


FLAG_COLORS = {"regression": "#dc2626", "needs review": "#f59e0b", "approved": "#16a34a"}
FLAG_TRACE = 3  # the figure's last trace


def flag_trace(forest: ExperimentForest, x: str | None, y: str | None, flags: Mapping[str, str]) -> dict:
    """x, y, ids and ring colours of the flagged models (a declared status: grey)."""
    chosen = [i for i in flags if i in forest]
    return {
        "x": [forest[i].metrics.get(x) if x else None for i in chosen],
        "y": [forest[i].metrics.get(y) if y else None for i in chosen],
        "customdata": chosen,
        "marker": {"symbol": "circle-open", "size": 20, "line": {"width": 2},
                   "color": [FLAG_COLORS.get(flags[i], "#6b7280") for i in chosen]},
    }


def flags_patch(forest: ExperimentForest, x: str | None, y: str | None, flags: Mapping[str, str]) -> Patch:
    """A Patch of the flag rings only (a note was saved)."""
    patch = Patch()
    for key, value in flag_trace(forest, x, y, flags).items():
        patch["data"][FLAG_TRACE][key] = value
    return patch


def selection_overlay(
    forest: ExperimentForest, x: str | None, y: str | None, selected: list[str] | tuple[str, ...]
) -> dict:
    """x, y and ids of the selected models for the overlay trace."""
    chosen = [i for i in selected if i in forest]
    return {
        "x": [forest[i].metrics.get(x) if x else None for i in chosen],
        "y": [forest[i].metrics.get(y) if y else None for i in chosen],
        "customdata": chosen,
    }


def selection_patch(
    forest: ExperimentForest, x: str | None, y: str | None, selected: list[str] | tuple[str, ...]
) -> Patch:
    """A Patch that moves only the selection overlay (a few points, not the whole figure)."""
    patch = Patch()
    for key, value in selection_overlay(forest, x, y, selected).items():
        patch["data"][1][key] = value
    return patch
