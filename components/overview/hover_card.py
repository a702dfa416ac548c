"""The hover card: a model's info table, or what an edge's operation changed."""

from __future__ import annotations

from dash import html

from backend.experiment.forest import ExperimentForest
from backend.overview.collapse import edge_deltas
from backend.present.formatting import d3_format, format_metric
from components.overview.model_info import model_info_table


def model_card(forest: ExperimentForest, model_id: str) -> list:
    """The ModelInfoTable of spec §1.4 under the model's title."""
    return [model_info_table(forest, model_id)]


def _delta(value: float | None, rel: float | None, fmt: str | None) -> str:
    if value is None:
        return "–"
    text = ("+" if value > 0 else "") + format_metric(value, fmt)
    return text + (f" ({d3_format('+.1~%', rel)})" if rel is not None else " (∞)" if value else "")


def edge_card(forest: ExperimentForest, child: str) -> list:
    """Δ of each primary metric vs the parent and vs the root, absolute and relative."""
    model = forest[child]
    op = model.operation
    title = f"{op.name}: {model.base} → {child}" if op else f"{model.base} → {child}"
    head = html.Tr([html.Th("Metric"), html.Th("Value"), html.Th("Δ vs parent"), html.Th("Δ vs root")])
    rows = []
    for r in edge_deltas(forest, child):
        spec = forest.metric(r["metric"])
        fmt = spec.format if spec else None
        rows.append(
            html.Tr(
                [
                    html.Td(r["metric"]),
                    html.Td(format_metric(r["value"], fmt, spec.unit if spec else None)),
                    html.Td(_delta(r["parent_abs"], r["parent_rel"], fmt)),
                    html.Td(_delta(r["root_abs"], r["root_rel"], fmt)),
                ]
            )
        )
    return [
        html.Div(title, className="cc-info-title"),
        html.Table([html.Thead(head), html.Tbody(rows)], className="cc-table cc-delta-table"),
    ]
