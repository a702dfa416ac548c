"""The Overview's layout for one view: stores, toolbar, notices, the map pane and the side cards."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dash import dcc, html

from backend.experiment.forest import ExperimentForest
from backend.launch.protocol import OperationSchema
from backend.viewstate.overview import OverviewView
from components.overview.details import details
from components.overview.legend import color_legend
from components.overview.model_map import map_drawing, model_map, with_view_classes
from components.overview.scatter import scatter_graph
from components.overview.toolbar import metric_dropdown, toolbar
from components.shared import ids
from components.shared.store import store


@dataclass(frozen=True)
class FirstView:
    """What the page's callbacks would compute at load, computed into the layout instead.

    Why: each initial callback was a round trip before the page was complete (filtered, then
    the front, then the panes and the scatterplot); ``pages/_overview_outputs.first_view``
    computes them with the callbacks' own functions, so the first paint needs none.
    """

    view: OverviewView  # the URL's view, its selection kept to the models passing its filters
    passing: list[str] | None
    front: list[str]
    figure: dict
    compare: list
    filter_pane: list
    tab_options: list[dict]
    pareto_pane: list
    notes: list = field(default_factory=list)  # the selected model's review notes (pages/_annotation_data.py)
    flags: dict = field(default_factory=dict)  # each flagged model's latest review status


EXPANSIONS = [
    ("parents", "+ Parents"),
    ("children", "+ Children"),
    ("ancestors", "+ Ancestors"),
    ("descendants", "+ Descendants"),
]


def tab_options(forest: ExperimentForest, passing: Sequence[str] | None = None) -> list[dict]:
    """The three tabs; the Filter tab's label counts the passing models while a filter is on."""
    label = "Filter" if passing is None else f"Filter ({len(passing)} of {len(forest)})"
    return [
        {"label": "Compare", "value": "compare"},
        {"label": label, "value": "filter"},
        {"label": "Pareto & budgets", "value": "pareto"},
    ]


def notices(forest: ExperimentForest, lines: Sequence[str], collapsed: Sequence[str]) -> list:
    """The URL's notices as warnings, and a hint when the map starts collapsed."""
    out: list = [html.Div(line, className="cc-warn") for line in lines]
    if collapsed:
        out.append(
            html.Div(
                f"{len(forest):,} models: deeper levels are collapsed so the map stays "
                "fluid; expand with the buttons or search for a model.",
                className="cc-hint",
            )
        )
    return out


def stores(forest: ExperimentForest, first: FirstView, collapsed: Sequence[str]) -> list[dcc.Store]:
    """The page's client-side state, initialised from the first view."""
    view = first.view
    return [
        store(ids.OV_SELECTION, list(view.selection)),
        store(ids.OV_HOVER),
        store(ids.OV_COLLAPSED, list(collapsed)),
        store(ids.OV_SYNC),
        store(ids.OV_REFINE, view.refine),
        store(ids.OV_FILTERED, first.passing),
        store(ids.OV_FILTER_ROWS, view.filter_rows(forest)),
        store(ids.OV_BUDGETS, view.budget_rows()),
        store(ids.OV_PARETO, view.pareto_settings(forest)),
        store(ids.OV_FRONT, first.front),
        store(ids.OV_DERIVED, [list(pair) for pair in view.derived]),
    ]


def map_pane(forest: ExperimentForest, first: FirstView, collapsed: Sequence[str]) -> html.Div:
    """The Model Map with its legend, expansion buttons and hover card."""
    view = first.view
    buttons = [
        html.Button(label, id={"type": ids.OV_EXPAND, "how": how}, n_clicks=0, className="cc-button cc-small")
        for how, label in EXPANSIONS
    ]
    buttons += [
        html.Button(
            "Collapse",
            id=ids.OV_COLLAPSE,
            n_clicks=0,
            className="cc-button cc-small",
            title="Collapse the subtrees under the selected models",
        ),
        html.Button("Expand all", id=ids.OV_EXPAND_ALL, n_clicks=0, className="cc-button cc-small"),
    ]
    return html.Div(
        [
            model_map(ids.OV_MAP, with_view_classes(
                map_drawing(forest, view.color, view.size, view.arrange, collapsed),
                first.passing, first.front, first.flags)),
            html.Div(color_legend(forest, view.color), id=ids.OV_LEGEND, className="cc-legend"),
            html.Div(buttons, className="cc-map-buttons"),
            html.Div(id=ids.OV_HOVER_CARD, className="cc-hover-card", hidden=True),
        ],
        className="cc-map-pane",
        # the selection the page opens with, for its first frame (assets/cc_clientside.js)
        **{"data-selected": json.dumps(list(view.selection))},
    )


def side_pane(forest: ExperimentForest, first: FirstView) -> html.Div:
    """The scatterplot card and the Compare / Filter / Pareto card, drawn as the view says."""
    view = first.view
    names = [m.name for m in forest.metrics]
    scatter = html.Div(
        [
            # the slot's id is what the clientside callbacks look the graph up by
            html.Div(scatter_graph(ids.OV_SCATTER, first.figure), id=ids.OV_SCATTER_SLOT,
                     className="cc-scatter"),
            html.Div(
                [
                    metric_dropdown(ids.OV_X, "X", names, view.x),
                    metric_dropdown(ids.OV_Y, "Y", names, view.y),
                ],
                className="cc-axes",
            ),
        ],
        className="cc-card cc-scatter-card",
    )
    tabs = html.Div(
        [
            dcc.RadioItems(
                id=ids.OV_TAB, value=view.tab, inline=True, className="cc-tabs", options=first.tab_options
            ),
            html.Div(
                [html.Div(details(forest, view.selection), id=ids.OV_DETAILS),
                 html.Div(first.notes, id=ids.OV_NOTES, className="cc-notes"),
                 store(ids.OV_FLAGS, first.flags), html.Div(id=ids.OV_FLAGS_DRAWN, hidden=True),
                 html.Div(first.compare, id=ids.OV_COMPARE)],
                id=f"{ids.OV_TAB}-compare",
                className="cc-pane",
                hidden=view.tab != "compare",
            ),
            html.Div(first.filter_pane, id=ids.OV_FILTER_PANE, className="cc-pane",
                     hidden=view.tab != "filter"),
            html.Div(first.pareto_pane, id=ids.OV_PARETO_PANE, className="cc-pane",
                     hidden=view.tab != "pareto"),
        ],
        className="cc-card cc-details",
    )
    return html.Div([scatter, tabs], className="cc-side")


def overview_page(forest: ExperimentForest, first: FirstView, lines: Sequence[str],
                  collapsed: Sequence[str], launch: Sequence[OperationSchema] | None = None) -> html.Div:
    """The whole page for a first view; ``lines`` are the URL's notices; ``launch`` the
    operations "New experiment…" offers (None: off)."""
    view = first.view
    return html.Div(
        [
            *stores(forest, first, collapsed),
            toolbar(forest, view, launch),
            html.Div(notices(forest, lines, collapsed), id=ids.OV_NOTICE),
            html.Div([map_pane(forest, first, collapsed), side_pane(forest, first)], className="cc-main"),
        ],
        className="cc-overview",
    )


def empty_overview(models_path: Path) -> html.Div:
    """The Overview of an experiment with no models yet (a live ExperimentLog before its first).

    The map, scatterplot and tabs need at least one model; this says what is happening and
    where the models will come from instead. A plain link reloads the whole page, which
    re-reads the models file once it changed.
    """
    return html.Div(
        html.Div(
            [
                html.H2("No models yet", id=ids.OV_EMPTY),
                html.P(
                    f"This experiment's models file ({models_path}) is empty; "
                    "models appear here as they are logged."
                ),
                html.P("Reload the page after your training script logs its first model.",
                       className="cc-hint"),
                html.A("Reload", href="/", className="cc-button"),
            ],
            className="cc-card",
            style={"maxWidth": "720px", "margin": "48px auto", "padding": "16px 24px"},
        ),
        className="cc-overview",
    )
