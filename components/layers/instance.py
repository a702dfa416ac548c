"""The per-instance drill-down panel: the input, where each model first diverges, the distance chart."""

from __future__ import annotations

import base64

from dash import dcc, html

from backend.layers import InstanceDivergence, InstancePreview
from components.layers.heatmap import instance_figure


def _preview(instance: str, preview: InstancePreview) -> list:
    if preview.problem:
        return [html.P(f"cannot render the instance: {preview.problem}", className="cc-hint")]
    if preview.mime == "image/png" and isinstance(preview.data, bytes):
        src = "data:image/png;base64," + base64.b64encode(preview.data).decode()
        return [html.Img(src=src, className="cc-ly-inst-img", alt=f"instance {instance}")]
    return [html.Pre(str(preview.data)[:400], className="cc-ly-inst-text")]


def instance_panel(instance: str, result: InstanceDivergence, preview: InstancePreview) -> list:
    """The instance, its per-layer distances and where each model first diverges."""
    label = f" · label {preview.label}" if preview.label is not None else ""
    items = []
    for model, layer in result.first.items():
        if layer is None:
            items.append(html.Li([html.Code(model), f" stays within {result.threshold:.0%} of the base"]))
        else:
            d = result.distances[model][result.layers.index(layer)]
            items.append(html.Li([html.Code(model), " first diverges at ", html.B(layer),
                                  f" (distance {d:.3f})"]))
    about = html.Div([html.B(f"Instance {instance}"), label, html.Ul(items, className="cc-ly-inst-list")])
    return [
        html.Div([*_preview(instance, preview), about], className="cc-ly-inst-head"),
        dcc.Graph(figure=instance_figure(result.layers, result.distances, result.first, result.threshold),
                  config={"displayModeBar": False}),
    ]
