"""The Pareto & budgets tab: two objectives, budget rows, and the relaxation readout."""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html

from backend.experiment.forest import ExperimentForest
from backend.overview.filters import Budget
from backend.present.formatting import format_metric
from components.overview.filter_pane import BLUE
from components.shared import ids


def _metric_select(field: str, names: list[str], value: str | None) -> dcc.Dropdown:
    return dcc.Dropdown(
        id={"type": ids.OV_PARETO_FIELD, "field": field},
        value=value,
        clearable=False,
        options=[{"label": n, "value": n} for n in names],
        className="cc-dropdown",
    )


def pareto_controls(forest: ExperimentForest, pareto: dict) -> html.Div:
    """Objective A and B with their directions, and the show toggle."""
    names = [m.name for m in forest.metrics]
    flags = [f for f in ("max_a", "max_b", "show") if pareto.get(f)]
    return html.Div(
        [
            html.H4("Pareto front"),
            html.Div(
                [
                    html.Span("Objective A", className="cc-control-label"),
                    _metric_select("a", names, pareto.get("a")),
                ],
                className="cc-control",
            ),
            html.Div(
                [
                    html.Span("Objective B", className="cc-control-label"),
                    _metric_select("b", names, pareto.get("b")),
                ],
                className="cc-control",
            ),
            dcc.Checklist(
                id={"type": ids.OV_PARETO_FIELD, "field": "flags"},
                value=flags,
                className="cc-checks",
                options=[
                    {"label": "higher A is better", "value": "max_a"},
                    {"label": "higher B is better", "value": "max_b"},
                    {"label": "show the front on the scatterplot and map", "value": "show"},
                ],
            ),
        ],
        className="cc-pareto-controls",
    )


def budget_rows(forest: ExperimentForest, budgets: list[dict]) -> html.Div:
    """One editable row per budget ("Model Size ≤ 8e6"); budgets also filter the models."""
    names = [m.name for m in forest.metrics]
    rows = []
    for i, b in enumerate(budgets):
        rows.append(
            html.Div(
                [
                    dcc.Dropdown(
                        id={"type": ids.OV_BUDGET_FIELD, "index": i, "field": "metric"},
                        value=b.get("metric"),
                        options=[{"label": n, "value": n} for n in names],
                        clearable=False,
                        className="cc-dropdown",
                    ),
                    dcc.Dropdown(
                        id={"type": ids.OV_BUDGET_FIELD, "index": i, "field": "op"},
                        value=b.get("op", "<="),
                        options=[{"label": "≤", "value": "<="}, {"label": "≥", "value": ">="}],
                        clearable=False,
                        className="cc-dropdown cc-op",
                    ),
                    dcc.Input(
                        id={"type": ids.OV_BUDGET_FIELD, "index": i, "field": "value"},
                        type="number",
                        value=b.get("value"),
                        debounce=True,
                        className="cc-number",
                    ),
                    html.Button(
                        "✕",
                        id={"type": ids.OV_BUDGET_REMOVE, "index": i},
                        n_clicks=0,
                        className="cc-button cc-small",
                        title="Remove this budget",
                    ),
                ],
                className="cc-budget-row",
            )
        )
    return html.Div(
        [
            html.H4("Budgets"),
            *rows,
            html.Button("+ Add budget", id=ids.OV_BUDGET_ADD, n_clicks=0, className="cc-button"),
        ],
        className="cc-budgets",
    )


def readout(forest: ExperimentForest, budget: Budget, objective: str, rows: list[dict]) -> html.Div:
    """'What if the budget relaxes': the best model under each looser budget step."""
    bspec, ospec = forest.metric(budget.metric), forest.metric(objective)
    op = "≤" if budget.op == "<=" else "≥"
    body = []
    for r in rows:
        limit = format_metric(r["limit"], bspec.format if bspec else None, bspec.unit if bspec else None)
        if r["model"] is None:
            body.append(
                html.Tr([html.Td(f"{op} {limit}"), html.Td("no model fits"), html.Td(""), html.Td("0")])
            )
            continue
        value = format_metric(r["value"], ospec.format if ospec else None, ospec.unit if ospec else None)
        body.append(
            html.Tr([html.Td(f"{op} {limit}"), html.Td(r["model"]), html.Td(value), html.Td(str(r["count"]))])
        )
    head = html.Tr(
        [html.Th(budget.metric), html.Th(f"Best by {objective}"), html.Th(objective), html.Th("Models")]
    )
    return html.Div(
        [
            html.H4(f"What if the {budget.metric} budget relaxes?"),
            html.Table([html.Thead(head), html.Tbody(body)], className="cc-table"),
        ],
        className="cc-readout",
    )


def front_summary(front: Sequence[str], shown: int = 8) -> html.P:
    """How many models are on the front, and the first few of them."""
    return html.P(
        [
            html.Span("■ ", style={"color": BLUE}),
            f"{len(front)} models on the front: ",
            ", ".join(front[:shown]),
            " …" if len(front) > shown else "",
        ],
        className="cc-hint",
    )


def pareto_pane(
    forest: ExperimentForest,
    pareto: dict,
    budgets: list[dict],
    front: Sequence[str],
    readouts: Sequence[tuple[Budget, str, list[dict]]],
) -> list:
    """The tab: controls, the front's summary, budget rows, then one readout per complete budget."""
    out: list = [pareto_controls(forest, pareto)]
    if front:
        out.append(front_summary(front))
    out.append(budget_rows(forest, budgets))
    out += [readout(forest, budget, objective, rows) for budget, objective, rows in readouts]
    return out
