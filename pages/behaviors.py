"""Behaviors: predictions of up to 16 models against a base, computed and queried on the server.

The URL holds the whole view (backend/behavior_url.py); the layout reads it once, callbacks in
``pages/_behaviors_callbacks.py`` keep it in a store and write it back.
"""

from __future__ import annotations

import dash
from dash import dcc, html

from backend.behaviors import CORRECTNESS
from backend.inference.protocol import InspectorError
from backend.infra.cache import CacheError
from backend.viewstate.behaviors import parse_view, view_to_dict
from backend.viewstate.links import detail_models
from components.shared import ids
from components.shared.detail_sidebar import detail_sidebar
from components.shared.jobs import job_controls
from pages import _behaviors_callbacks  # noqa: F401  (registers the callbacks)
from pages._behaviors_data import comparison_names
from server.context import engine, experiment

dash.register_page(__name__, path="/behaviors", title="Behaviors · Compress & Compare", name="Behaviors")



def _placeholder(*children) -> html.Div:
    return html.Div([html.H2("Behaviors"), *children], className="cc-placeholder")


def layout(**query: str) -> html.Div:
    """Models, base and the view from the URL; cached predictions show at once."""
    forest = experiment().forest
    models, base, notices = detail_models(query.get("models"), query.get("base"), forest)
    if not models:
        return _placeholder(
            *[html.P(n, className="cc-warn") for n in notices],
            html.P("Select 2–16 models on the overview and press Behaviors, or open "
                   "/behaviors?models=a,b,c&base=a.", className="cc-hint"))
    try:
        eng = engine()
        names = comparison_names(eng)
        classes = eng.dataset.class_names
    except (InspectorError, CacheError) as exc:
        return _placeholder(*[html.P(n, className="cc-warn") for n in notices],
                            html.P(str(exc), className="cc-error"))
    view = parse_view(query, models, base, names, len(classes))
    notices += list(view.problems)
    view = view.with_(comparison=view.comparison or names[0])
    wrong_options = [{"label": "Any", "value": -1}] + [
        {"label": f"exactly {k} of {len(models)} wrong", "value": k} for k in range(len(models) + 1)]
    toolbar = html.Div([
        html.Button("Show All Instances" if view.level == "class" else "‹ Classes", id=ids.BH_LEVEL,
                    n_clicks=0, className="cc-button"),
        html.Div([html.Span("Filter to class:", className="cc-control-label"),
                  dcc.Dropdown(id=ids.BH_CLASS, options=[{"label": "All", "value": -1}] + [
                      {"label": c, "value": i} for i, c in enumerate(classes)],
                      value=view.class_filter if view.class_filter is not None else -1, clearable=False,
                      className="cc-dropdown")],
                 className="cc-control", id=f"{ids.BH_CLASS}-box",
                 style={"display": "none"} if view.level == "class" else {}),
        html.Div([html.Span("Comparison metric:", className="cc-control-label"),
                  dcc.Dropdown(id=ids.BH_COMPARISON, options=names, value=view.comparison, clearable=False,
                               className="cc-dropdown")], className="cc-control"),
        dcc.RadioItems(id=ids.BH_MODE, options=[{"label": "Absolute", "value": "absolute"},
                                                {"label": "Relative", "value": "relative"}],
                       value=view.mode, inline=True, className="cc-toggle"),
        html.Div([html.Span("Errors:", className="cc-control-label"),
                  dcc.Dropdown(id=ids.BH_WRONG, options=wrong_options,
                               value=view.wrong if view.wrong is not None else -1, clearable=False,
                               className="cc-dropdown")], className="cc-control"),
        html.Button("Clear filters", id=ids.BH_CLEAR, n_clicks=0, className="cc-button"),
        html.Button("Export CSV", id=ids.BH_EXPORT, n_clicks=0, className="cc-button"),
        dcc.Download(id=ids.BH_DOWNLOAD),
    ], className="cc-toolbar bh-toolbar", id=ids.BH_TOOLBAR, style={"display": "none"})
    main = html.Div([
        *[html.P(n, className="cc-warn") for n in notices],
        html.Div([
            job_controls(ids.BH_LOAD, ids.BH_CANCEL, ids.BH_PROGRESS, ids.BH_STATUS, "Load predictions"),
        ], className="bh-job"),
        html.Div(id=ids.BH_EMPTY),
        toolbar,
        html.Div(id=ids.BH_FILTERS, className="bh-filters"),
        html.Div([
            html.Div(id=ids.BH_SUMMARY),
            html.Div(id=ids.BH_HISTS),
            html.Div(id=ids.BH_TABLE),
        ], className="bh-scroll", id=ids.BH_VIEW),
        html.Details([
            html.Summary("Where did predictions change? Flip matrix and attribution along the tree"),
            html.Div([
                html.Div([html.H4("How often two models disagree"),
                          html.P("Click a cell to list the instances on which the two models disagree.",
                                 className="cc-hint"),
                          dcc.Graph(id=ids.BH_FLIPS, config={"displayModeBar": False},
                                    figure={"data": [], "layout": {"height": 10}}),
                          html.Button("Show all instances again", id=ids.BH_PAIR_CLEAR, n_clicks=0,
                                      className="cc-button")], className="bh-flips"),
                html.Div([html.H4("Which operation introduced the new errors"),
                          html.P("For each model: instances right at its root and wrong in the model, by the "
                                 "first step on the path after which the prediction changed and was wrong.",
                                 className="cc-hint"),
                          html.Div(id=ids.BH_ATTRIBUTION)], className="bh-attribution"),
            ], className="bh-extras"),
        ], open=True, className="bh-details cc-card", id=ids.BH_EXTRAS, style={"display": "none"}),
    ], className="bh-main")
    return html.Div([
        dcc.Store(id=ids.BH_STATE, data=view_to_dict(view)),
        dcc.Store(id=ids.BH_POS, data={"sort": list(view.sort) if view.sort else None, "page": view.page,
                                       "restore": True}),
        dcc.Store(id=ids.BH_READY, data=0),
        dcc.Store(id=ids.BH_GRIDKEY, data=None),
        dcc.Store(id=ids.BH_HEADKEY, data=None),
        detail_sidebar("behaviors", models, base,
                       "To add to the selection, return to the Compression Overview."),
        main,
    ], className="bh-page")


__all__ = ["layout", "CORRECTNESS"]
