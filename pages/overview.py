"""Overview: the Model Map and the scatterplot of every model, linked, with the view in the URL."""

from __future__ import annotations

import dash
from dash import dcc, html

import pages._compare_callbacks  # noqa: F401
import pages._filter_callbacks  # noqa: F401  (registers the Filter tab's callbacks)
import pages._pareto_callbacks  # noqa: F401  (registers the Pareto & budgets callbacks)
from backend.overview.collapse import auto_collapse
from backend.overview.encodings import default_encodings
from backend.overview.filters import parse_budgets, parse_filters
from backend.overview.pareto import parse_pareto
from backend.viewstate.codec import decode_ids, first, known_ids
from backend.viewstate.refine import malformed_parts
from components.overview.legend import color_legend
from components.overview.model_map import model_map
from components.shared import ids
from pages._overview_callbacks import ARRANGE, details, map_view
from server.context import experiment

dash.register_page(__name__, path="/", title="Compress & Compare", name="Overview")

TABS = ("compare", "filter", "pareto")
EXPANSIONS = [
    ("parents", "+ Parents"),
    ("children", "+ Children"),
    ("ancestors", "+ Ancestors"),
    ("descendants", "+ Descendants"),
]


def _metric_dropdown(component_id: str, label: str, names: list[str], value: str | None) -> html.Label:
    return html.Label(
        [
            html.Span(label, className="cc-control-label"),
            dcc.Dropdown(
                id=component_id,
                options=[{"label": n, "value": n} for n in names],
                value=value,
                placeholder="None",
                clearable=True,
                className="cc-dropdown",
            ),
        ],
        className="cc-control",
    )


def _pick(value: str | list[str] | None, names: list[str], default: str | None) -> str | None:
    value = first(value)
    if value == "none":
        return None
    return value if value in names else default


def view_state(forest, query: dict, enc: dict) -> tuple[dict, list[str]]:
    """Filter rows, budgets and Pareto settings from the URL, with notices for bad parts."""
    names = {m.name for m in forest.metrics}
    filters, problems = parse_filters(first(query.get("filter")), names)
    budgets, budget_problems = parse_budgets(first(query.get("budget")), names)
    rows = [{"metric": f.metric, "lo": f.lo, "hi": f.hi} for f in filters]
    if not rows and forest.metrics:
        rows = [{"metric": forest.metrics[0].name, "lo": None, "hi": None}]
    pareto = parse_pareto(first(query.get("pareto")), forest, enc)
    if pareto is None:
        problems.append(f"pareto '{first(query.get('pareto'))}' is not two known metrics")
        pareto = parse_pareto(None, forest, enc)
    for part in malformed_parts(first(query.get("refine"))):
        problems.append(f"refine part {part[:80]!r} is not <variable index>:<value>|<value>")
    return {
        "rows": rows,
        "budgets": [{"metric": b.metric, "op": b.op, "value": b.value} for b in budgets],
        "pareto": pareto,
    }, problems + budget_problems


def layout(**query: str) -> html.Div:
    """The page for a URL: sel, color, size, x, y and arrange restore the view."""
    forest = experiment().forest
    names = [m.name for m in forest.metrics]
    enc = default_encodings([m.name for m in forest.primary_metrics])
    color, size = _pick(query.get("color"), names, enc["color"]), _pick(query.get("size"), names, enc["size"])
    x, y = _pick(query.get("x"), names, enc["x"]), _pick(query.get("y"), names, enc["y"])
    arrange = first(query.get("arrange")) if first(query.get("arrange")) in ARRANGE else "op"
    tab = first(query.get("tab")) if first(query.get("tab")) in TABS else "compare"
    selection, unknown = known_ids(decode_ids(query.get("sel")), forest.models)
    view, problems = view_state(forest, query, enc)
    collapsed = auto_collapse(forest)
    notice = []
    for problem in problems:
        notice.append(html.Div(f"Ignored in the URL: {problem}", className="cc-warn"))
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        notice.append(html.Div(f"Unknown model ids in the URL were dropped: {shown}", className="cc-warn"))
    if collapsed:
        notice.append(
            html.Div(
                f"{len(forest):,} models: deeper levels are collapsed so the map stays "
                "fluid; expand with the buttons or search for a model.",
                className="cc-hint",
            )
        )
    return html.Div(
        [
            dcc.Store(id=ids.OV_SELECTION, data=selection),
            dcc.Store(id=ids.OV_HOVER, data=None),
            dcc.Store(id=ids.OV_COLLAPSED, data=collapsed),
            dcc.Store(id=ids.OV_SYNC),
            dcc.Store(id=ids.OV_REFINE, data=first(query.get("refine")) or ""),
            dcc.Store(id=ids.OV_FILTERED, data=None),
            dcc.Store(id=ids.OV_FILTER_ROWS, data=view["rows"]),
            dcc.Store(id=ids.OV_BUDGETS, data=view["budgets"]),
            dcc.Store(id=ids.OV_PARETO, data=view["pareto"]),
            dcc.Store(id=ids.OV_FRONT, data=[]),
            html.Div(
                [
                    _metric_dropdown(ids.OV_COLOR, "Color", names, color),
                    _metric_dropdown(ids.OV_SIZE, "Size", names, size),
                    dcc.RadioItems(
                        id=ids.OV_ARRANGE,
                        value=arrange,
                        inline=True,
                        className="cc-toggle",
                        options=[
                            {"label": "Arrange by operation", "value": "op"},
                            {"label": "Arrange by step", "value": "step"},
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
                    dcc.Link(
                        "Behaviors",
                        id=ids.OV_BEHAVIORS,
                        href="/behaviors",
                        className="cc-button cc-primary cc-disabled",
                    ),
                    dcc.Link(
                        "Layers",
                        id=ids.OV_LAYERS,
                        href="/layers",
                        className="cc-button cc-primary cc-disabled",
                    ),
                ],
                className="cc-toolbar",
            ),
            html.Div(notice, id=ids.OV_NOTICE),
            html.Div(
                [
                    html.Div(
                        [
                            model_map(ids.OV_MAP, map_view(forest, color, size, arrange, collapsed)),
                            html.Div(color_legend(forest, color), id=ids.OV_LEGEND, className="cc-legend"),
                            html.Div(
                                [
                                    *[
                                        html.Button(
                                            label,
                                            id={"type": ids.OV_EXPAND, "how": how},
                                            n_clicks=0,
                                            className="cc-button cc-small",
                                        )
                                        for how, label in EXPANSIONS
                                    ],
                                    html.Button(
                                        "Collapse",
                                        id=ids.OV_COLLAPSE,
                                        n_clicks=0,
                                        className="cc-button cc-small",
                                        title="Collapse the subtrees under the selected models",
                                    ),
                                    html.Button(
                                        "Expand all",
                                        id=ids.OV_EXPAND_ALL,
                                        n_clicks=0,
                                        className="cc-button cc-small",
                                    ),
                                ],
                                className="cc-map-buttons",
                            ),
                            html.Div(id=ids.OV_HOVER_CARD, className="cc-hover-card", hidden=True),
                        ],
                        className="cc-map-pane",
                    ),
                    html.Div(
                        [
                            html.Div(
                                [
                                    # mounted by a callback once the map is up, so the map
                                    # does not wait for plotly.js (1.4 MB) to load
                                    html.Div(id=ids.OV_SCATTER_SLOT, className="cc-scatter"),
                                    html.Div(
                                        [
                                            _metric_dropdown(ids.OV_X, "X", names, x),
                                            _metric_dropdown(ids.OV_Y, "Y", names, y),
                                        ],
                                        className="cc-axes",
                                    ),
                                ],
                                className="cc-card cc-scatter-card",
                            ),
                            html.Div(
                                [
                                    dcc.RadioItems(
                                        id=ids.OV_TAB,
                                        value=tab,
                                        inline=True,
                                        className="cc-tabs",
                                        options=[
                                            {"label": "Compare", "value": "compare"},
                                            {"label": "Filter", "value": "filter"},
                                            {"label": "Pareto & budgets", "value": "pareto"},
                                        ],
                                    ),
                                    html.Div(
                                        [
                                            html.Div(details(forest, selection), id=ids.OV_DETAILS),
                                            html.Div(id=ids.OV_COMPARE),
                                        ],
                                        id=f"{ids.OV_TAB}-compare",
                                        className="cc-pane",
                                        hidden=tab != "compare",
                                    ),
                                    html.Div(
                                        id=ids.OV_FILTER_PANE, className="cc-pane", hidden=tab != "filter"
                                    ),
                                    html.Div(
                                        id=ids.OV_PARETO_PANE, className="cc-pane", hidden=tab != "pareto"
                                    ),
                                ],
                                className="cc-card cc-details",
                            ),
                        ],
                        className="cc-side",
                    ),
                ],
                className="cc-main",
            ),
        ],
        className="cc-overview",
    )
