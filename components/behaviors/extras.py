"""Beyond the reference: the flip matrix and flip attribution along the tree (pure builders).

The attribution rows arrive labelled (``backend.behaviors.operation_label``), so this module
never decides how an operation, or a root, is named."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from dash import html

from backend.present.formatting import d3_format


def flip_figure(models: Sequence[str], matrix: np.ndarray, pair: tuple[str, str] | None) -> dict:
    """A k×k heatmap of how often two models' predictions differ; click a cell to see those rows."""
    short = [m if len(m) <= 18 else m[:8] + "…" + m[-8:] for m in models]
    text = [[d3_format(".1~%", v) for v in row] for row in matrix]
    shapes = []
    if pair is not None and pair[0] in models and pair[1] in models:
        for a, b in (pair, pair[::-1]):
            i, j = models.index(a), models.index(b)
            shapes.append({"type": "rect", "x0": j - 0.5, "x1": j + 0.5, "y0": i - 0.5, "y1": i + 0.5,
                           "line": {"color": "#111827", "width": 2}})
    size = 60 + 34 * len(models)
    return {
        "data": [{
            "type": "heatmap", "z": matrix.tolist(), "x": list(range(len(models))),
            "y": list(range(len(models))), "text": text, "texttemplate": "%{text}",
            "textfont": {"size": 10}, "colorscale": [[0, "#f9fafb"], [1, "#3378F6"]], "zmin": 0,
            "showscale": False, "customdata": [[[a, b] for b in models] for a in models],
            "hovertemplate": ("%{customdata[0]} vs %{customdata[1]}: %{text} of instances differ"
                              "<extra></extra>"),
            "xgap": 1, "ygap": 1,
        }],
        "layout": {
            "height": size + 60, "width": size + 120, "margin": {"l": 120, "r": 8, "t": 8, "b": 60},
            "xaxis": {"tickvals": list(range(len(models))), "ticktext": short, "tickangle": -35,
                      "tickfont": {"size": 10}, "fixedrange": True},
            "yaxis": {"tickvals": list(range(len(models))), "ticktext": short, "autorange": "reversed",
                      "tickfont": {"size": 10}, "fixedrange": True},
            "shapes": shapes, "plot_bgcolor": "#fff", "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }


def attribution_table(model: str, rows: list[dict]) -> html.Div:
    """For one model: which step on its path from the root introduced its new errors."""
    total = sum(r["new_errors"] for r in rows)
    if not rows:
        return html.Div([html.Code(model), html.Span(" is a root: nothing to attribute.",
                                                     className="cc-hint")], className="bh-attr")
    if total == 0:
        return html.Div([html.Code(model), html.Span(" has no new errors relative to its root.",
                                                     className="cc-hint")], className="bh-attr")
    top = max(rows, key=lambda r: r["new_errors"])
    body = [html.Tr([html.Td(r["operation"]), html.Td(html.Code(r["to"])),
                     html.Td(f"{r['new_errors']:,}"), html.Td(d3_format(".0%", r["share"])),
                     html.Td(html.Div(className="bh-attr-bar", style={"width": f"{100 * r['share']:.1f}%"})),
                     html.Td(f"{r['flips']:,}")]) for r in rows]
    return html.Div([
        html.Div([html.Code(model), f": {top['operation']} introduced {d3_format('.0%', top['share'])} "
                  f"of {total:,} new errors"], className="bh-attr-title"),
        html.Table([html.Thead(html.Tr([html.Th(h) for h in ("Operation", "Gives", "New errors", "Share", "",
                                                           "Flips")])),
                    html.Tbody(body)], className="cc-table bh-attr-table"),
    ], className="bh-attr")
