"""The Filter tab (spec §1.6): brushable histograms with grey-behind-blue cross-filtering."""

from __future__ import annotations

import numpy as np
from dash import dcc, html

from backend.experiment.forest import ExperimentForest
from backend.present.bins import counts, nice_edges
from backend.present.formatting import format_metric
from backend.present.scales import domain
from components.shared import ids

BLUE, GREY = "#3378F6", "#e5e7eb"


def histogram_figure(
    forest: ExperimentForest, metric: str, lo: float | None, hi: float | None, passing: np.ndarray | None
) -> dict:
    """All models in grey behind the models passing every filter in blue; the brush as a band."""
    values = forest.column(metric)
    spec = forest.metric(metric)
    edges = nice_edges(*domain(spec, values))
    centers, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    bars = []
    if passing is not None:
        bars.append(
            {
                "type": "bar",
                "x": centers,
                "y": counts(values, edges),
                "width": widths,
                "marker": {"color": GREY, "line": {"color": "#dddddd", "width": 1}},
                "hoverinfo": "skip",
                "name": "all",
            }
        )
    shown = values if passing is None else values[passing]
    fmt = spec.format if spec and spec.format else ".3~"
    bars.append(
        {
            "type": "bar",
            "x": centers,
            "y": counts(shown, edges),
            "width": widths,
            "marker": {"color": BLUE, "line": {"color": "#dddddd", "width": 1}},
            "name": "passing",
            "hovertemplate": f"%{{x:{fmt}}}: %{{y}} models<extra></extra>",
        }
    )
    shapes = []
    if lo is not None and hi is not None:
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": lo,
                "x1": hi,
                "y0": 0,
                "y1": 1,
                "fillcolor": "rgba(147,197,253,0.27)",
                "line": {"color": "#93c5fd", "width": 2},
            }
        )
    return {
        "data": bars,
        "layout": {
            "barmode": "overlay",
            "dragmode": "select",
            "selectdirection": "h",
            "height": 128,
            "margin": {"l": 8, "r": 36, "t": 4, "b": 28},
            "showlegend": False,
            "shapes": shapes,
            "xaxis": {"range": [edges[0], edges[-1]], "tickformat": fmt, "nticks": 5, "fixedrange": True},
            "yaxis": {"side": "right", "nticks": 3, "fixedrange": True},
            "plot_bgcolor": "white",
            "paper_bgcolor": "white",
            "font": {"size": 10},
        },
    }


def _caption(forest: ExperimentForest, row: dict) -> str:
    if row.get("lo") is None:
        return "Drag across the histogram to filter."
    spec = forest.metric(row["metric"])
    fmt = spec.format if spec and spec.format else ".3~"
    return f"Filtering for {row['metric']} {format_metric(row['lo'], fmt)} — {format_metric(row['hi'], fmt)}"


def filter_pane(forest: ExperimentForest, rows: list[dict], passing: np.ndarray | None) -> list:
    """One row per filter (metric select, remove, histogram, caption), then Clear all / + Add."""
    names = [m.name for m in forest.metrics]
    used = {r["metric"] for r in rows}
    out = []
    for i, row in enumerate(rows):
        options = [{"label": n, "value": n, "disabled": n in used and n != row["metric"]} for n in names]
        out.append(
            html.Div(
                [
                    html.Div(
                        [
                            html.Span("Filter by:", className="cc-control-label"),
                            dcc.Dropdown(
                                id={"type": ids.OV_FILTER_METRIC, "index": i},
                                options=options,
                                value=row["metric"],
                                clearable=False,
                                className="cc-dropdown",
                            ),
                            html.Button(
                                "Unbrush",
                                id={"type": ids.OV_FILTER_UNBRUSH, "index": i},
                                n_clicks=0,
                                className="cc-button cc-small",
                                disabled=row.get("lo") is None,
                            ),
                            html.Button(
                                "✕",
                                id={"type": ids.OV_FILTER_REMOVE, "index": i},
                                n_clicks=0,
                                className="cc-button cc-small",
                                title="Remove this filter",
                            ),
                        ],
                        className="cc-filter-head",
                    ),
                    dcc.Graph(
                        id={"type": ids.OV_FILTER_HIST, "index": i},
                        figure=histogram_figure(forest, row["metric"], row.get("lo"), row.get("hi"), passing),
                        config={"displayModeBar": False},
                        className="cc-filter-hist",
                    ),
                    html.Div(_caption(forest, row), className="cc-hint cc-filter-caption"),
                ],
                className="cc-filter-row",
            )
        )
    out.append(
        html.Div(
            [
                html.Button(
                    "Clear all", id=ids.OV_FILTER_CLEAR, n_clicks=0, className="cc-button", disabled=not rows
                ),
                html.Button(
                    "+ Add filter",
                    id=ids.OV_FILTER_ADD,
                    n_clicks=0,
                    className="cc-button",
                    disabled=len(used) >= len(names),
                ),
            ],
            className="cc-filter-buttons",
        )
    )
    return out
