"""Callbacks of the Behaviors page: thin wiring between the controls, the URL and the backend.

One store holds the view (``ids.BH_STATE``); two small keys derived from it decide what must be
redrawn: the rows (a new key remounts the infinite grid, which then asks for page 0) and the
histograms (not redrawn by brushing, so a drag is never interrupted). The page's layout draws
the slots once with ``rows_slots`` and ``head_slots`` (cached results on the first render), so
on page load only the grid asks the server for its first rows; only the Load button starts a job.
"""

from __future__ import annotations

import time

from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate

from backend.behaviors import FAILURES, flip_matrix, significance
from backend.viewstate.behaviors import (
    apply_action,
    grid_pos,
    pending_page,
    pos_sort,
    redraw_keys,
    view_from_dict,
    view_to_dict,
    with_pos,
)
from components.behaviors.events import action_of
from components.behaviors.grid import request_page
from components.behaviors.layout import empty_figure
from components.behaviors.sections import grid_rows, head_section, not_ready, rows_section
from components.behaviors.toolbar import HIDDEN, filter_chips, mode_state, toolbar_state
from components.shared import ids
from pages import _behaviors_data as bd

EMPTY_PAGE = {"rowData": [], "rowCount": 0}
RUNNING = "Computing predictions… (Cancel stops the job)"
CANCELLED = "Cancelled: the job stopped; nothing partial was cached."


def rows_slots(view, pos) -> tuple:
    """(summary, grid, empty state, filter chips, toolbar style, extras style) of a view, from the
    cache only: the empty state names the models whose predictions are not computed."""
    try:
        absent = bd.missing(view)
        if absent:
            return None, None, not_ready(missing=absent), None, HIDDEN, HIDDEN
        notes = bd.review(view)
        d, result = bd.run(view, flags=notes.flags)
        sig = significance(d)
    except FAILURES as exc:
        return None, None, not_ready(str(exc)), None, HIDDEN, HIDDEN
    summary, table = rows_section(view, d.comparisons[view.comparison], result, sig, pos_sort(pos),
                                  bd.text_instances())
    problem = html.P(notes.problem, className="cc-warn") if notes.problem and view.flagged else None
    return summary, table, problem, filter_chips(view, d.class_names), {}, {}


def head_slots(view) -> tuple:
    """(histograms, flip matrix, attribution) of a view, from the cache only."""
    try:
        if not bd.ready(view):
            return None, empty_figure(), None
        d, result = bd.run(view, flags=bd.review(view).flags if view.flagged else None)
        attributions = bd.attribution(view)
    except FAILURES as exc:
        return html.P(str(exc), className="cc-error"), empty_figure(), None
    return head_section(view, d.comparisons[view.comparison], result, flip_matrix(d), attributions,
                        bd.text_instances())


@callback(
    Output(ids.BH_STATE, "data"),
    Output(ids.BH_GRIDKEY, "data"),
    Output(ids.BH_HEADKEY, "data"),
    Output(ids.BH_LEVEL, "children"),
    Output(f"{ids.BH_CLASS}-box", "style"),
    Output(ids.BH_CLASS, "value"),
    Output(ids.BH_WRONG, "value"),
    Output(ids.BH_REVIEW, "value"),
    Output(ids.BH_MODE, "options"),
    Output(ids.BH_MODE, "value"),
    Input(ids.BH_LEVEL, "n_clicks"),
    Input(ids.BH_CLASS, "value"),
    Input(ids.BH_COMPARISON, "value"),
    Input(ids.BH_MODE, "value"),
    Input(ids.BH_WRONG, "value"),
    Input(ids.BH_REVIEW, "value"),
    Input(ids.BH_CLEAR, "n_clicks"),
    Input(ids.BH_PAIR_CLEAR, "n_clicks"),
    Input({"type": ids.BH_HIST, "model": ALL}, "selectedData"),
    Input({"type": ids.BH_GRID, "key": ALL}, "cellClicked"),
    Input(ids.BH_FLIPS, "clickData"),
    Input(ids.BH_READY, "data"),
    State(ids.BH_STATE, "data"),
    State(ids.BH_GRIDKEY, "data"),
    State(ids.BH_HEADKEY, "data"),
    prevent_initial_call=True,
)
def update_state(*args):
    """Every control feeds one pure reducer; derived keys change only when their inputs do.
    A mode the comparison does not have is disabled and never chosen (MSE, KL: Relative only)."""
    state, grid_key, head_key = args[-3:]
    view = view_from_dict(state)
    trigger = ctx.triggered_id
    fresh = trigger == ids.BH_READY  # predictions just arrived: redraw everything
    valueless = bd.relative_only()
    if trigger is not None and not fresh:
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        view = apply_action(view, *action_of(trigger, value), relative_only=valueless)
    rows, head = redraw_keys(view, grid_key, head_key, fresh)
    return (view_to_dict(view), rows or no_update, head or no_update, *toolbar_state(view),
            *mode_state(view, valueless))


@callback(
    Output(ids.BH_SUMMARY, "children"),
    Output(ids.BH_TABLE, "children"),
    Output(ids.BH_EMPTY, "children"),
    Output(ids.BH_FILTERS, "children"),
    Output(ids.BH_TOOLBAR, "style"),
    Output(ids.BH_EXTRAS, "style"),
    Input(ids.BH_GRIDKEY, "data"),
    State(ids.BH_STATE, "data"),
    State(ids.BH_POS, "data"),
    prevent_initial_call=True,
)
def render_rows(_key, state, pos):
    """The Dataset summary and a fresh grid whenever what the rows depend on changes."""
    return rows_slots(view_from_dict(state), pos)


@callback(
    Output(ids.BH_HISTS, "children"),
    Output(ids.BH_FLIPS, "figure"),
    Output(ids.BH_ATTRIBUTION, "children"),
    Input(ids.BH_HEADKEY, "data"),
    State(ids.BH_STATE, "data"),
    prevent_initial_call=True,
)
def render_head(_key, state):
    """Histograms (class-filtered, never brushed), the flip matrix and the attribution."""
    return head_slots(view_from_dict(state))


@callback(
    Output({"type": ids.BH_GRID, "key": ALL}, "getRowsResponse"),
    Output({"type": ids.BH_GRID, "key": ALL}, "paginationGoTo"),
    Output(ids.BH_POS, "data"),
    Input({"type": ids.BH_GRID, "key": ALL}, "getRowsRequest"),
    State(ids.BH_STATE, "data"),
    State(ids.BH_POS, "data"),
    prevent_initial_call=True,
)
def serve_rows(requests, state, pos):
    """One 50-row page for the grid, sorted and filtered on the server; a bookmark's page is
    restored by the first answer (``pending_page``), and the position kept until then."""
    if not requests or not requests[-1]:
        raise PreventUpdate
    view = view_from_dict(state)
    sort, page = request_page(requests[-1], view.models)
    restore = pending_page(pos, page)
    go_to = [restore or no_update] * len(requests)
    flags = bd.review(view).flags
    try:
        d, result = bd.run(view, sort, page, flags)
    except FAILURES:
        return [EMPTY_PAGE] * len(requests), go_to, no_update
    rows = grid_rows(view, d.comparisons[view.comparison], result, bd.render_instance, flags)
    response = {"rowData": rows, "rowCount": result.total}
    moved = grid_pos(sort, result.page)
    # page 0 in the sort the store already holds is where the grid already is: writing the same
    # position again would rewrite the URL and the top bar, two round trips for nothing (a
    # bookmark's later page is written, which clears its restore flag)
    unchanged = (pos is not None and not pos.get("page") and moved["page"] == 0
                 and pos.get("sort") == moved["sort"])
    return [response] * len(requests), go_to, no_update if restore or unchanged else moved


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    Input(ids.BH_STATE, "data"),
    Input(ids.BH_POS, "data"),
    prevent_initial_call=True,
)
def write_url(state, pos):
    """The view is written to the query string on every change (on load: below)."""
    return with_pos(view_from_dict(state), pos).to_query()


# On load the layout holds the URL's query as the page will write it (what was ignored in the
# URL leaves it, e.g. mode=absolute of a comparison that has no raw values): the browser puts
# it in the address bar where it differs, with no round trip.
clientside_callback(
    ClientsideFunction("cc", "normalizeQuery"),
    Output(ids.URL, "search", allow_duplicate=True),
    Input(ids.BH_QUERY, "data"),
    prevent_initial_call="initial_duplicate",
)


@callback(
    Output(ids.BH_DOWNLOAD, "data"),
    Input(ids.BH_EXPORT, "n_clicks"),
    State(ids.BH_STATE, "data"),
    State(ids.BH_POS, "data"),
    prevent_initial_call=True,
)
def export_csv(_clicks, state, pos):
    """Every filtered row (not only the visible page) as CSV."""
    try:
        text, filename = bd.export_csv(view_from_dict(state), pos_sort(pos))
    except FAILURES:
        raise PreventUpdate from None
    return dcc.send_string(text, filename)


@callback(
    Output(ids.BH_READY, "data"),
    Output(ids.BH_STATUS, "children"),
    Input(ids.BH_LOAD, "n_clicks"),
    State(ids.BH_STATE, "data"),
    background=True,
    prevent_initial_call=True,
    progress=[Output(ids.BH_PROGRESS, "value"), Output(ids.BH_PROGRESS, "max")],
    running=[
        (Output(ids.BH_LOAD, "disabled"), True, False),
        (Output(ids.BH_CANCEL, "disabled"), False, True),
        # shown while it runs; the "off" line stays only when no answer replaces it (a cancel)
        (Output(ids.BH_STATUS, "children"), RUNNING, CANCELLED),
    ],
    cancel=[Input(ids.BH_CANCEL, "n_clicks")],
)
def load_predictions(set_progress, _clicks: int, state: dict) -> tuple:
    """Compute (or read) predictions of the compared models and their paths, with progress.
    Every way it ends writes the status line, so "Cancelled" remains only after a cancel."""
    try:
        seconds = bd.load_predictions(view_from_dict(state),
                                      lambda done, total: set_progress((str(done), str(total))))
    except FAILURES as exc:
        return no_update, str(exc)
    return time.time(), f"Predictions ready in {seconds:.1f} s."


@callback(
    Output(ids.BH_EMPTY, "children", allow_duplicate=True),
    Input(ids.BH_CANCEL, "n_clicks_timestamp"),
    State(ids.BH_STATE, "data"),
    prevent_initial_call=True,
)
def cancelled(_when: int, state: dict):
    """After Cancel, the empty state names the models still not computed (those the job finished
    before it was stopped stay cached); the status line says "Cancelled" (``running`` above).

    It listens to the click's timestamp, not ``n_clicks``: dash-renderer attaches the running
    job (``cancelJob``) to every callback whose inputs hold the cancel input, and with a second
    callback on ``n_clicks`` the job was left running in most tries (4 of 5); on the timestamp,
    Dash's own cancel callback stopped it every time (10 of 10)."""
    try:
        absent = bd.missing(view_from_dict(state))
    except FAILURES:
        return no_update
    return not_ready(missing=absent) if absent else no_update
