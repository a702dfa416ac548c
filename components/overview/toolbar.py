"""The Overview's toolbar: colour and size metrics, derived metrics, arrangement, search, count,
compare buttons."""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html

from backend.experiment.forest import ExperimentForest
from backend.launch.protocol import OperationSchema
from backend.overview.collapse import compare_base
from backend.overview.compare import COMPARE_RANGE
from backend.viewstate.links import detail_query
from backend.viewstate.overview import OverviewView
from components.overview.derived_control import derived_control
from components.overview.launch_control import launch_control
from components.shared import ids
from components.shared.nav import page_href

BUTTON, DISABLED = "cc-button cc-primary", "cc-button cc-primary cc-disabled"


def metric_dropdown(component_id: str, label: str, names: list[str], value: str | None) -> html.Label:
    """A labelled, clearable metric picker ("None" when cleared)."""
    return html.Label(
        [
            html.Span(label, className="cc-control-label"),
            # the slot holds the dropdown's size before dcc loads its chunk: the toolbar keeps
            # its height, so the map under it is not resized (and redrawn) as the page loads
            html.Div(dcc.Dropdown(
                id=component_id,
                options=[{"label": n, "value": n} for n in names],
                value=value,
                placeholder="None",
                clearable=True,
                className="cc-dropdown",
            ), className="cc-dropdown-slot"),
        ],
        className="cc-control",
    )


def compare_links(forest: ExperimentForest, selection: Sequence[str]) -> tuple[str, str, str]:
    """Hrefs of the Behaviors and Layers buttons and their class (disabled outside 2–16).

    The base is the selected model closest to a root (``compare_base``), else the first one.
    """
    selection = [i for i in selection if i in forest]
    lo, hi = COMPARE_RANGE
    if not lo <= len(selection) <= hi:
        return page_href("behaviors"), page_href("layers"), DISABLED
    query = detail_query(selection, compare_base(forest, selection) or selection[0])
    return page_href("behaviors", query), page_href("layers", query), BUTTON


def toolbar(forest: ExperimentForest, view: OverviewView,
            launch: Sequence[OperationSchema] | None = None) -> html.Div:
    """The toolbar as the URL's view sets it (the compare buttons already point at the selection);
    ``launch``: the launcher's operations, when the config enables "New experiment…"."""
    names = [m.name for m in forest.metrics]
    behaviors, layers, cls = compare_links(forest, view.selection)
    return html.Div(
        [
            metric_dropdown(ids.OV_COLOR, "Color", names, view.color),
            metric_dropdown(ids.OV_SIZE, "Size", names, view.size),
            derived_control(view),
            *([launch_control(launch, view.selection)] if launch is not None else []),
            dcc.RadioItems(
                id=ids.OV_ARRANGE,
                value=view.arrange,
                inline=True,
                className="cc-toggle",
                options=[
                    {"label": "Arrange by operation", "value": "op"},
                    {"label": "Arrange by step", "value": "step"},
                    {"label": "Arrange by time", "value": "time"},
                ],
            ),
            html.Div(
                [
                    dcc.Input(
                        id=ids.OV_SEARCH,
                        type="search",
                        placeholder="Find model by id or tag",
                        debounce=True,
                        className="cc-search",
                    ),
                    html.Div(id=ids.OV_SEARCH_RESULTS, className="cc-search-results"),
                ],
                className="cc-search-box",
            ),
            html.Div(className="cc-spacer"),
            html.Span(f"{len(forest)} models", id=ids.OV_COUNT, className="cc-count"),
            dcc.Link("Behaviors", id=ids.OV_BEHAVIORS, href=behaviors, className=cls),
            dcc.Link("Layers", id=ids.OV_LAYERS, href=layers, className=cls),
        ],
        className="cc-toolbar",
    )


def search_results(forest: ExperimentForest, text: str | None, hits: Sequence[str]) -> list:
    """The search box's result buttons (a click reveals and selects that model)."""
    if text and not hits:
        return [html.Div("No model matches.", className="cc-hint")]
    return [
        html.Button(
            forest[h].title if forest[h].tag else h,
            id={"type": ids.OV_SEARCH_HIT, "id": h},
            title=h,
            n_clicks=0,
            className="cc-search-hit",
        )
        for h in hits
    ]
