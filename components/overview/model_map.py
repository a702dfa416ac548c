"""Cytoscape elements and the static stylesheet of the Model Map (spec §1.3).

Data-driven styles read element data (``data(color)``, ``data(size)``), so changing a metric
changes element data only and the stylesheet stays the same object (cheap for Cytoscape).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import dash_cytoscape as cyto
import numpy as np

from backend.experiment.forest import ExperimentForest
from backend.overview.drawing import drawn_layout
from backend.present.formatting import d3_format
from backend.present.scales import domain, grey_colors, is_dark, sqrt_scale
from backend.snapshot.notes import status_slug

CELL, COL_GAP, ROW_GAP, LEFT, TOP = 72, 120, 36, 120, 108
PLAIN_EDGES_ABOVE = 400


def grid_to_pixels(col: float, row: float) -> dict[str, float]:
    """Grid cell to Cytoscape model coordinates (the reference's pixel mapping)."""
    return {"x": LEFT + col * (CELL + COL_GAP) + CELL / 2, "y": TOP + row * (CELL + ROW_GAP) + CELL / 2}


def metric_array(forest: ExperimentForest, metric: str | None) -> np.ndarray:
    """One value per model in forest order; NaN where a model lacks the metric."""
    if not metric:
        return np.full(len(forest), np.nan)
    return forest.column(metric)


def node_colors(forest: ExperimentForest, metric: str | None) -> list[str]:
    """Grey-scale fill per model; without a metric every node is the darkest grey."""
    if not metric:
        return grey_colors(np.ones(len(forest)), 0.0, 1.0)
    values = metric_array(forest, metric)
    lo, hi = domain(forest.metric(metric), values)
    return grey_colors(values, lo, hi)


def node_sizes(forest: ExperimentForest, metric: str | None) -> np.ndarray:
    """Diameter in px: sqrt scale of the data extent onto [0.3, 1] × 72 (spec min/max ignored)."""
    values = metric_array(forest, metric)
    if not metric or not np.isfinite(values).any():
        return np.full(len(forest), float(CELL))
    finite = values[np.isfinite(values)]
    return CELL * sqrt_scale(values, float(finite.min()), float(finite.max()), 0.3, 1.0, 0.3)


def _param_label(forest: ExperimentForest, model_id: str) -> str:
    op = forest[model_id].operation
    if op is None:
        return ""
    spec = forest.operations.get(op.name)
    lines = []
    for name in sorted(op.parameters):
        value = op.parameters[name]
        pspec = spec.parameters.get(name) if spec else None
        shown = d3_format(pspec.format, value) if pspec and pspec.format and not isinstance(
            value, str) else str(value)
        lines.append(f"{name.upper()}  {shown}")
    return "\n".join(reversed(lines))


def map_elements(
    forest: ExperimentForest,
    positions: dict[str, tuple[float, float]],
    columns: list[str],
    color: str | None,
    size: str | None,
    hidden_counts: dict[str, int] | None = None,
) -> list[dict]:
    """Column headers, the drawn nodes (those with a position) and their edges.

    Colours and sizes are computed over *all* models so collapsing never rescales the map.
    ``hidden_counts`` marks collapsed nodes with the number of models they stand for.
    """
    colors = node_colors(forest, color)
    sizes = node_sizes(forest, size)
    hidden_counts = hidden_counts or {}
    elements: list[dict] = [
        {"data": {"id": f"__col__{i}", "label": label, "column": i},
         "position": {"x": grid_to_pixels(i, 0)["x"], "y": 40}, "classes": "colhead",
         "selectable": False, "grabbable": False}
        for i, label in enumerate(columns)
    ]
    fill_of: dict[str, str] = {}
    size_of: dict[str, float] = {}
    for model, fill, diameter in zip(forest, colors, sizes, strict=True):
        if model.id not in positions:
            continue
        col, row = positions[model.id]
        fill_of[model.id], size_of[model.id] = fill, float(diameter)
        data = {"id": model.id, "params": _param_label(forest, model.id), "color": fill,
                "size": round(float(diameter), 1), "border": "#f2f2f2" if is_dark(fill) else "#d1d5db",
                "column": col}
        # "classes" always set: dash-cytoscape patches a changed value but leaves the classes of
        # a node whose key vanished, so an expanded node would keep looking collapsed
        node = {"data": data, "position": grid_to_pixels(col, row), "grabbable": False, "classes": ""}
        if model.id in hidden_counts:
            data["badge"] = f"+{hidden_counts[model.id]}"
            node["classes"] = "collapsed"
        elements.append(node)
    # Past a few hundred drawn models, gradient taxi edges dominate Cytoscape's drawing time
    # (dash-probe.md): draw them as plain straight lines in the child's colour instead.
    plain = len(fill_of) > PLAIN_EDGES_ABOVE
    for model in forest:
        if model.base is not None and model.id in fill_of and model.base in fill_of:
            width = max(2.0, 0.2 * (size_of[model.base] + size_of[model.id]) / 2)
            edge = {"data": {"id": f"__edge__{model.id}", "source": model.base, "target": model.id,
                             "w": round(width, 1), "grad": f"{fill_of[model.base]} {fill_of[model.id]}",
                             "color": fill_of[model.id]}, "selectable": False}
            if plain:
                edge["classes"] = "plain"
            elements.append(edge)
    return elements


def map_drawing(
    forest: ExperimentForest, color: str | None, size: str | None, arrange: str, collapsed: Iterable[str]
) -> list[dict]:
    """Cytoscape elements of what the map draws (the layout is memoised per arrangement)."""
    grid, counts = drawn_layout(forest, arrange, collapsed)
    return map_elements(forest, grid.positions, grid.columns, color, size, counts)


def with_view_classes(elements: list[dict], passing: Collection[str] | None, front: Collection[str],
                      flags: dict[str, str]) -> list[dict]:
    """The elements with the classes the clientside callbacks would give them at load.

    Why: ``fadeFiltered`` (faded, frontier) and ``flagMap`` (flagged, flag-<status>) set them on
    the live map after its first frame, and each such change was a restyle and a full redraw
    (50–90 ms at 1,000 models) before the page was complete. Given here, those callbacks find
    nothing to change. Changed elements are copies: ``elements`` is left as it was.
    """
    keep = None if passing is None else set(passing)
    on_front = set(front)

    def out_of(mid: str) -> bool:
        return keep is not None and mid not in keep

    out: list[dict] = []
    for element in elements:
        data, classes = element["data"], element.get("classes", "")
        if "source" in data:
            extra = ["faded"] if out_of(data["source"]) or out_of(data["target"]) else []
        elif classes == "colhead":
            extra = []
        else:
            mid = data["id"]
            extra = ["faded"] if out_of(mid) else []
            if mid in on_front:
                extra.append("frontier")
            if mid in flags:
                extra += ["flagged", "flag-" + status_slug(flags[mid])]
        out.append({**element, "classes": " ".join([classes, *extra]).strip()} if extra else element)
    return out


STYLESHEET: list[dict] = [
    {"selector": "node[color]", "style": {
        "background-color": "data(color)", "width": "data(size)", "height": "data(size)",
        # no "label" here: assets/cc_clientside.js adds it once the map is at a readable zoom
        "border-width": 1, "border-color": "data(border)",
        "text-wrap": "wrap", "text-valign": "top", "text-margin-y": -6, "font-size": 10,
        "font-family": "ui-monospace, SFMono-Regular, Menlo, monospace", "color": "#374151",
        "text-outline-color": "#ffffff", "text-outline-width": 3, "min-zoomed-font-size": 11,
        "transition-property": "background-color, width, height", "transition-duration": "0.3s",
    }},
    {"selector": "node:selected", "style": {"border-width": 4, "border-color": "#60a5fa"}},
    {"selector": "node.hovered", "style": {"border-width": 5, "border-color": "#60a5fa"}},
    {"selector": "node:selected.hovered", "style": {"border-width": 7}},
    {"selector": "node.faded", "style": {"opacity": 0.1, "events": "no"}},
    # review flags (assets/cc_annotations.js sets the classes): a ring outside the selection border
    {"selector": "node.flagged", "style": {"outline-width": 3, "outline-offset": 2,
                                           "outline-color": "#6b7280"}},
    {"selector": "node.flag-regression", "style": {"outline-color": "#dc2626"}},
    {"selector": "node.flag-needs-review", "style": {"outline-color": "#f59e0b"}},
    {"selector": "node.flag-approved", "style": {"outline-color": "#16a34a"}},
    {"selector": "node.collapsed", "style": {
        "label": "data(badge)", "text-valign": "center", "color": "#ffffff", "font-size": 12,
        "font-weight": "bold", "text-outline-color": "#374151", "text-outline-width": 2,
        "min-zoomed-font-size": 0, "border-width": 3, "border-style": "double",
        "border-color": "#6b7280"}},
    {"selector": "node.frontier", "style": {"shape": "diamond"}},
    # Column headers are drawn as HTML over the map (assets/cc_map_headers.js), so they stay
    # readable at any zoom; their nodes only carry the labels and positions.
    {"selector": "node.colhead", "style": {"display": "none", "events": "no"}},
    {"selector": "edge", "style": {
        "width": "data(w)", "curve-style": "taxi", "taxi-direction": "rightward", "taxi-turn": "60%",
        "line-fill": "linear-gradient", "line-gradient-stop-colors": "data(grad)",
        "line-gradient-stop-positions": "0% 100%", "opacity": 0.8,
    }},
    {"selector": "edge.plain", "style": {
        "curve-style": "haystack", "line-fill": "solid", "line-color": "data(color)", "width": 2,
        "opacity": 0.6,
    }},
    {"selector": "edge.faded", "style": {"opacity": 0.08}},  # after the edge rules: it must win
]


def model_map(component_id: str, elements: list[dict]) -> cyto.Cytoscape:
    """The Cytoscape component: preset positions, box selection, no node dragging."""
    return cyto.Cytoscape(
        id=component_id,
        elements=elements,
        stylesheet=STYLESHEET,
        layout={"name": "preset", "fit": False},  # assets/cc_clientside.js fits the whole forest
        # positions come with the elements: re-running the preset layout 100 ms after every
        # add (dash-cytoscape's default) only moved each node to where it was
        autoRefreshLayout=False,
        boxSelectionEnabled=True,
        autoungrabify=True,
        minZoom=0.1,
        maxZoom=3,
        wheelSensitivity=0.3,
        responsive=False,  # its resize handler refits the graph and loses the user's viewport
        clearOnUnhover=True,
        style={"width": "100%", "height": "100%"},
        className="cc-map",
    )
