"""The Behaviors page's layout: its stores, the sidebar, the job strip, the toolbar and the empty
slots the callbacks fill (pure builders)."""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html

from backend.viewstate.behaviors import BehaviorView, initial_pos, view_to_dict
from components.behaviors.toolbar import HIDDEN, toolbar
from components.shared import ids
from components.shared.detail_sidebar import detail_sidebar
from components.shared.jobs import job_controls
from components.shared.nav import page_href


def empty_figure() -> dict:
    """The flip matrix before predictions are loaded (a 10 px blank, not Plotly's empty axes)."""
    return {"data": [], "layout": {"height": 10}}


def notices(lines: Sequence[str]) -> list[html.P]:
    """The URL's notices, one line each."""
    return [html.P(n, className="cc-warn") for n in lines]


def placeholder(lines: Sequence[str], error: str | None = None) -> html.Div:
    """No known model in the URL (a hint), or an engine that could not start (its one line)."""
    hint = (html.P(error, className="cc-error") if error is not None else
            html.P("Select 2–16 models on the overview and press Behaviors, or open "
                   f"{page_href('behaviors', '?models=a,b,c&base=a')}.", className="cc-hint"))
    return html.Div([html.H2("Behaviors"), *notices(lines), hint], className="cc-placeholder")


def _extras() -> html.Details:
    """Where predictions changed: the flip matrix and the attribution along the tree."""
    return html.Details([
        html.Summary("Where did predictions change? Flip matrix and attribution along the tree"),
        html.Div([
            html.Div([html.H4("How often two models disagree"),
                      html.P("Click a cell to list the instances on which the two models disagree.",
                             className="cc-hint"),
                      dcc.Graph(id=ids.BH_FLIPS, config={"displayModeBar": False}, figure=empty_figure()),
                      html.Button("Show all instances again", id=ids.BH_PAIR_CLEAR, n_clicks=0,
                                  className="cc-button")], className="bh-flips"),
            html.Div([html.H4("Which operation introduced the new errors"),
                      html.P("For each model: instances right at its root and wrong in the model, by the "
                             "first step on the path after which the prediction changed and was wrong.",
                             className="cc-hint"),
                      html.Div(id=ids.BH_ATTRIBUTION)], className="bh-attribution"),
        ], className="bh-extras"),
    ], open=True, className="bh-details cc-card", id=ids.BH_EXTRAS, style=HIDDEN)


def page_layout(view: BehaviorView, lines: Sequence[str], comparisons: Sequence[str],
                class_names: Sequence[str]) -> html.Div:
    """The whole page for a view; cached predictions show at once (the callbacks fill the slots)."""
    main = html.Div([
        *notices(lines),
        html.Div([
            job_controls(ids.BH_LOAD, ids.BH_CANCEL, ids.BH_PROGRESS, ids.BH_STATUS, "Load predictions"),
        ], className="bh-job"),
        html.Div(id=ids.BH_EMPTY),
        toolbar(view, comparisons, class_names),
        html.Div(id=ids.BH_FILTERS, className="bh-filters"),
        html.Div([
            html.Div(id=ids.BH_SUMMARY),
            html.Div(id=ids.BH_HISTS),
            html.Div(id=ids.BH_TABLE),
        ], className="bh-scroll", id=ids.BH_VIEW),
        _extras(),
    ], className="bh-main")
    return html.Div([
        dcc.Store(id=ids.BH_STATE, data=view_to_dict(view)),
        dcc.Store(id=ids.BH_POS, data=initial_pos(view)),
        dcc.Store(id=ids.BH_READY, data=0),
        dcc.Store(id=ids.BH_GRIDKEY, data=None),
        dcc.Store(id=ids.BH_HEADKEY, data=None),
        detail_sidebar("behaviors", list(view.models), view.base,
                       "To add to the selection, return to the Compression Overview."),
        main,
    ], className="bh-page")
