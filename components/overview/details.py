"""The selection card of the Overview: one model's info table, or the list of selected models."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from backend.experiment.forest import ExperimentForest
from components.overview.hover_card import edge_card, model_card
from components.overview.model_info import model_info_table


def details(forest: ExperimentForest, selection: Sequence[str]) -> list:
    """The card's heading and body for the selection (unknown ids are left out)."""
    selection = [i for i in selection if i in forest]
    if not selection:
        return [
            html.H3("No models selected"),
            html.P(
                "Click a model on the map or the scatterplot; shift-click or drag a box "
                "to select several; click a column header to select the column.",
                className="cc-hint",
            ),
        ]
    if len(selection) == 1:
        return [html.H3(f"1 Model Selected: {selection[0]}"), model_info_table(forest, selection[0])]
    return [
        html.H3(f"{len(selection)} Models Selected"),
        html.Ul([html.Li(forest[i].title, title=i) for i in selection], className="cc-list"),
    ]


def hover_details(
    forest: ExperimentForest, model: str | None, edge: dict | None, on_edge: bool
) -> tuple[list, bool]:
    """The hover card's content and whether it is hidden: an edge's deltas (``on_edge``: the map
    reported an edge hover), or a hovered model's info table."""
    if on_edge:
        target = (edge or {}).get("target")
        return (edge_card(forest, target), False) if target in forest else ([], True)
    if not model or model not in forest:
        return [], True
    return model_card(forest, model), False
