"""The Behaviors page's layout: its stores, the sidebar, the job strip, the toolbar and the empty
slots the callbacks fill (pure builders)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from dash import dcc, html

from backend.viewstate.behaviors import BehaviorView, initial_pos, view_to_dict, with_pos
from components.behaviors.notes import notes_card
from components.behaviors.toolbar import HIDDEN, toolbar
from components.shared import ids
from components.shared.detail_sidebar import detail_sidebar
from components.shared.jobs import job_controls
from components.shared.nav import page_href


def empty_figure() -> dict:
    """The flip matrix before predictions are loaded (a 10 px blank, not Plotly's empty axes)."""
    return {"data": [], "layout": {"height": 10}}


class Slots(NamedTuple):
    """What the page shows on its first render, before any callback runs: the cached results
    (or the empty state naming what is not computed), and the keys they were drawn for."""

    summary: object = None
    table: object = None
    empty: object = None
    chips: object = None
    toolbar: dict = HIDDEN
    extras: dict = HIDDEN
    hists: object = None
    flips: dict | None = None
    attribution: object = None
    rows_key: str | None = None
    head_key: str | None = None


def notices(lines: Sequence[str]) -> list[html.P]:
    """The URL's notices, one line each."""
    return [html.P(n, className="cc-warn") for n in lines]


def placeholder(lines: Sequence[str], error: str | None = None) -> html.Div:
    """No known model in the URL (a hint), or an engine that could not start (its one line)."""
    hint = (html.P(error, className="cc-error") if error is not None else
            html.P("Select 2–16 models on the overview and press Behaviors, or open "
                   f"{page_href('behaviors', '?models=a,b,c&base=a')}.", className="cc-hint"))
    return html.Div([html.H2("Behaviors"), *notices(lines), hint], className="cc-placeholder")


def _extras(slots: Slots) -> html.Details:
    """Where predictions changed: the flip matrix and the attribution along the tree."""
    return html.Details([
        html.Summary("Where did predictions change? Flip matrix and attribution along the tree"),
        html.Div([
            html.Div([html.H4("How often two models disagree"),
                      html.P("Click a cell to list the instances on which the two models disagree.",
                             className="cc-hint"),
                      dcc.Graph(id=ids.BH_FLIPS, config={"displayModeBar": False},
                                figure=slots.flips or empty_figure()),
                      html.Button("Show all instances again", id=ids.BH_PAIR_CLEAR, n_clicks=0,
                                  className="cc-button")], className="bh-flips"),
            html.Div([html.H4("Which operation introduced the new errors"),
                      html.P("For each model: instances right at its root and wrong in the model, by the "
                             "first step on the path after which the prediction changed and was wrong.",
                             className="cc-hint"),
                      html.Div(slots.attribution, id=ids.BH_ATTRIBUTION)], className="bh-attribution"),
        ], className="bh-extras"),
    ], open=True, className="bh-details cc-card", id=ids.BH_EXTRAS, style=slots.extras)


def page_layout(view: BehaviorView, lines: Sequence[str], comparisons: Sequence[str],
                class_names: Sequence[str], relative_only: Collection[str] = (),
                slots: Slots | None = None, statuses: Sequence[str] = ()) -> html.Div:
    """The whole page for a view, with what ``slots`` holds already drawn: cached predictions show
    on the first render, with no callback round trip (the callbacks redraw the slots later).
    ``statuses``: the review statuses (the review filter and the instance notes' form)."""
    slots = slots or Slots()
    main = html.Div([
        *notices(lines),
        html.Div([
            job_controls(ids.BH_LOAD, ids.BH_CANCEL, ids.BH_PROGRESS, ids.BH_STATUS, "Load predictions"),
        ], className="bh-job"),
        html.Div(slots.empty, id=ids.BH_EMPTY),
        toolbar(view, comparisons, class_names, relative_only, slots.toolbar, statuses),
        html.Div(slots.chips, id=ids.BH_FILTERS, className="bh-filters"),
        notes_card(statuses),
        html.Div([
            html.Div(slots.summary, id=ids.BH_SUMMARY),
            html.Div(slots.hists, id=ids.BH_HISTS),
            html.Div(slots.table, id=ids.BH_TABLE),
        ], className="bh-scroll", id=ids.BH_VIEW),
        _extras(slots),
    ], className="bh-main")
    return html.Div([
        dcc.Store(id=ids.BH_STATE, data=view_to_dict(view)),
        dcc.Store(id=ids.BH_POS, data=initial_pos(view)),
        dcc.Store(id=ids.BH_QUERY, data=with_pos(view, initial_pos(view)).to_query()),
        dcc.Store(id=ids.BH_READY, data=0),
        dcc.Store(id=ids.BH_GRIDKEY, data=slots.rows_key),
        dcc.Store(id=ids.BH_HEADKEY, data=slots.head_key),
        detail_sidebar("behaviors", list(view.models), view.base,
                       "To add to the selection, return to the Compression Overview."),
        main,
    ], className="bh-page")
