"""The map's colour legend: the grey Lab ramp with the domain's ends formatted."""

from __future__ import annotations

import numpy as np
from dash import html

from backend.experiment.forest import ExperimentForest
from backend.present.formatting import format_metric
from backend.present.scales import HIGH, LOW, domain, grey_colors
from components.overview.model_map import metric_array


def color_legend(forest: ExperimentForest, metric: str | None) -> list:
    """Title, ramp and five ticks; empty when no colour metric is chosen."""
    if not metric:
        return []
    spec = forest.metric(metric)
    lo, hi = domain(spec, metric_array(forest, metric))
    stops = grey_colors(np.linspace(lo, hi, 9), lo, hi)
    ticks = [format_metric(v, spec.format if spec else None) for v in np.linspace(lo, hi, 5)]
    return [
        html.Div(metric, className="cc-legend-title"),
        html.Div(className="cc-legend-ramp",
                 style={"background": f"linear-gradient(to right, {LOW}, {', '.join(stops)}, {HIGH})"}),
        html.Div([html.Span(t) for t in ticks], className="cc-legend-ticks"),
    ]
