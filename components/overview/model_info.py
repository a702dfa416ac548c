"""The ModelInfoTable (spec §1.4): operation, parameters and primary metrics vs the parent."""

from __future__ import annotations

from dash import html

from backend.experiment.forest import ExperimentForest
from backend.present.formatting import d3_format, format_change, format_metric


def _row(label: str, value: str, note: str | None = None) -> list:
    cells = [html.Span(value, className="cc-info-value")]
    if note:
        cells.append(html.Span(f" {note}", className="cc-info-change"))
    return [html.Div(label.upper(), className="cc-info-label"), html.Div(cells)]


def model_info_rows(forest: ExperimentForest, model_id: str) -> list:
    """Grid cells of the table; ids, tags and names are rendered as inert text."""
    model = forest[model_id]
    cells: list = []
    op = model.operation
    cells += _row("Operation", op.name if op else "None")
    if op:
        spec = forest.operations.get(op.name)
        for name, value in op.parameters.items():
            pspec = spec.parameters.get(name) if spec else None
            fmt = pspec.format if pspec is not None else None
            shown = str(value) if pspec is None or isinstance(value, str) else d3_format(fmt, value)
            cells += _row(name, shown)
    parent = forest[model.base] if model.base is not None else None
    header = "Value (vs. parent)" if parent else "Value"
    cells += [html.Div("Metric", className="cc-info-pill"), html.Div(header, className="cc-info-pill")]
    shown_metrics = {m.name for m in forest.primary_metrics}
    for spec in forest.metrics:
        if spec.name not in shown_metrics or spec.name not in model.metrics:
            continue
        value = model.metrics[spec.name]
        note = None
        if parent is not None and spec.name in parent.metrics:
            note = format_change(value, parent.metrics[spec.name])
        cells += _row(spec.name, format_metric(value, spec.format, spec.unit), note)
    return cells


def model_info_table(forest: ExperimentForest, model_id: str) -> html.Div:
    """Title plus the two-column grid, as in the reference's tooltip card."""
    return html.Div(
        [html.Div(forest[model_id].title, className="cc-info-title"),
         html.Div(model_info_rows(forest, model_id), className="cc-info-grid")],
        className="cc-info",
    )
