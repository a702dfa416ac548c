"""The overview's Compare tab (spec §1.7–1.8): messages, refinement menu, bar charts and table.

Pure builders: ``backend.overview.compare.compute`` runs the comparability engine for a selection
and a refinement string (``backend.viewstate.refine``); :func:`compare_body` turns its
:class:`~backend.overview.compare.Comparison` into components. The callbacks in
``pages/_compare_callbacks.py`` only wire stores to these functions.

Beyond the reference: the experiment table itself (variables, then the primary metrics) is shown
under the charts with a CSV download, the menu says how many models a refinement keeps, and the
menu stays open while a refinement is active so its chips and buttons stay in reach.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from dash import dcc, html

from backend.comparability import ComparisonTable, axis_order, format_value
from backend.experiment.forest import ExperimentForest
from backend.overview.compare import COMPARE_RANGE, Comparison
from backend.present.formatting import format_metric
from components.overview.compare_charts import (
    bar_figure,
    bar_legend,
    metric_title,
    min_chart_width,
    variable_title,
)
from components.shared.data_table import data_table

# Ids of the tab's own components (kebab-case, "overview-compare-" prefix).
CHART = "overview-compare-chart"  # pattern: {"type": CHART, "metric": <index of primary metric>}
CHIP = "overview-compare-chip"  # pattern: {"type": CHIP, "var": <raw index>, "value": <display str>}
MENU = "overview-compare-menu"
RESET = "overview-compare-reset"
UPDATE = "overview-compare-update"
DOWNLOAD_BUTTON = "overview-compare-download-button"
DOWNLOAD = "overview-compare-download"
TABLE = "overview-compare-table"

MSG_RANGE = (f"Select between {COMPARE_RANGE[0]} and {COMPARE_RANGE[1]} models to generate "
             "comparison bar charts.")
MSG_TOO_MANY = ("These models cannot be directly compared. Try refining the comparison to filter "
                "models and reduce the number of variables.")
MSG_TOO_FEW = "Need at least two models to compare."
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def chip(index: int, value: Any, on: bool, models: list[str]) -> html.Button:
    """One pill of the refinement menu; ``data-models`` lets the clientside hover ring them."""
    text = format_value(value)
    return html.Button(
        text,
        id={"type": CHIP, "var": index, "value": text},
        n_clicks=0,
        title=f"{len(models)} model{'s' if len(models) != 1 else ''}",
        className="cc-chip cc-chip-on" if on else "cc-chip",
        **{"data-models": json.dumps(models)},
    )


def refinement_menu(comparison: Comparison) -> html.Details:
    """Spec §1.8 ComparisonRefinementMenu: one row of chips per variable of the raw table."""
    raw = comparison.raw
    assert raw is not None
    active = bool(comparison.allowed)
    rows: list[Any] = []
    for i in range(len(raw.variables)):
        picked = {format_value(v) for v in comparison.allowed.get(i, [])}
        column = raw.column(i)
        chips = []
        for value in axis_order(raw, i):
            text = format_value(value)
            models = [mid for (mid, _), v in zip(raw.rows, column, strict=True) if format_value(v) == text]
            chips.append(chip(i, value, text in picked, models))
        rows.append(html.Div([html.Div(variable_title(raw, i), className="cc-compare-var"),
                              html.Div(chips, className="cc-chip-row")], className="cc-compare-var-row"))
    if active:
        kept = len(comparison.refined.rows) if comparison.refined is not None else 0
        rows.append(html.Div(
            [html.Span(f"{kept} of {len(raw.rows)} models", className="cc-compare-count"),
             html.Button("Reset", id=RESET, n_clicks=0, className="cc-button cc-small"),
             html.Button("Update Selection", id=UPDATE, n_clicks=0, className="cc-button cc-small cc-primary",
                         disabled=len(comparison.refined_ids) < 1)],
            className="cc-compare-actions",
        ))
    is_open = active or (comparison.simplified is not None and comparison.simplified.needs_refinement)
    return html.Details([html.Summary("Refine Comparison", className="cc-compare-menu-title"), *rows],
                        id=MENU, open=is_open, className="cc-compare-menu")


def _metric_cell(forest: ExperimentForest, mid: str, name: str) -> Any:
    return forest[mid].metrics.get(name) if mid in forest else None


def table_columns(forest: ExperimentForest, table: ComparisonTable) -> list[str]:
    """Header of the comparison table and CSV: model, the variables, the primary metrics."""
    return (["Model"] + [variable_title(table, i) for i in range(len(table.variables))]
            + [m.name for m in forest.primary_metrics])


def comparison_table(forest: ExperimentForest, table: ComparisonTable) -> html.Div:
    """Rows = models (table order); variable values then formatted primary metrics (built in
    the browser from JSON: components/shared/data_table.py)."""
    metrics = forest.primary_metrics
    head = (["Model"] + [variable_title(table, i) for i in range(len(table.variables))]
            + [metric_title(m) for m in metrics])
    rows = [[mid, *(format_value(v) for v in vals),
             *(format_metric(_metric_cell(forest, mid, m.name), m.format, m.unit) for m in metrics)]
            for mid, vals in table.rows]
    classes = ["cc-compare-id"] + [""] * len(table.variables) + ["cc-compare-num"] * len(metrics)
    return data_table(TABLE, "cc-table cc-compare-table", head, rows, classes, titled=[0])


def _csv_cell(value: Any) -> Any:
    """Raw values; text that a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return format_value(value)
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA) else value
    return format_value(value)  # shortest round-trip digits; 34442455, not 34442455.0


def comparison_csv(forest: ExperimentForest, table: ComparisonTable) -> str:
    """The comparison table as CSV: model id first, variable values, raw (unformatted) metrics."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_csv_cell(h) for h in table_columns(forest, table))
    for mid, vals in table.rows:
        writer.writerow([_csv_cell(mid), *(_csv_cell(format_value(v)) for v in vals),
                         *(_csv_cell(_metric_cell(forest, mid, m.name)) for m in forest.primary_metrics)])
    return out.getvalue()


def bar_charts(forest: ExperimentForest, table: ComparisonTable) -> list:
    """One chart per primary metric; the colour legend only above the first (as the reference)."""
    out: list[Any] = []
    legend = bar_legend(table)
    if legend is not None:
        out.append(legend)
    width = min_chart_width(table)  # upright x labels need this much; a narrower card scrolls
    for i, metric in enumerate(forest.primary_metrics):
        figure = bar_figure(forest, table, metric)
        out.append(html.Div(dcc.Graph(
            id={"type": CHART, "metric": i}, figure=figure, className="cc-bars-chart",
            style={"height": f"{figure['layout']['height']}px", "minWidth": f"{width}px"},
            clear_on_unhover=True, config={"displayModeBar": False, "responsive": True, "scrollZoom": False},
        ), className="cc-bars-scroll"))
    return out


def message(text: str) -> html.P:
    """One of the tab's fixed messages."""
    return html.P(text, className="cc-hint cc-compare-message")


def compare_body(forest: ExperimentForest, comparison: Comparison) -> list:
    """Everything below the selection heading, by the cases of spec §1.7."""
    if not comparison.in_range:
        return [message(MSG_RANGE)]
    out: list[Any] = []
    simplified = comparison.simplified
    if comparison.has_menu:
        if simplified is not None and simplified.needs_refinement and not comparison.too_few:
            out.append(message(MSG_TOO_MANY))
        out.append(refinement_menu(comparison))
    if comparison.too_few:
        out.append(message(MSG_TOO_FEW))
        return out
    if comparison.chartable:
        out.append(html.Div(bar_charts(forest, simplified), className="cc-bars"))
    if simplified is not None and simplified.variables:
        out.append(html.Div(
            [html.Div([html.Span("Comparison table", className="cc-compare-table-title"),
                       html.Button("Download CSV", id=DOWNLOAD_BUTTON, n_clicks=0,
                                   className="cc-button cc-small")], className="cc-compare-table-head"),
             html.Div(comparison_table(forest, simplified), className="cc-compare-table-scroll"),
             dcc.Download(id=DOWNLOAD)],
            className="cc-compare-table-box",
        ))
    return out
