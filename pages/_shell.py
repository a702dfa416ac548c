"""Callbacks of the app's shell: the top bar and the detail pages' sidebar.

Going from the Overview (a selection) to Behaviors, from Behaviors to Layers and back keeps the
compared models and the base (``backend.viewstate.links``); the top bar's hrefs are recomputed
whenever the URL changes (the first view's layout holds the first ones). In the sidebar a new
base or a removed model becomes a navigation to the updated query string.
"""

from __future__ import annotations

from dash import ALL, MATCH, Input, Output, State, callback, ctx, no_update

from backend.overview.collapse import compare_base
from backend.viewstate.codec import decode_ids, first, parse_search
from backend.viewstate.links import after_change, compared, detail_query, overview_query
from components.shared import ids
from components.shared.nav import page_href, page_of
from components.shared.shell import NAV_IDS
from server.context import experiment


@callback(
    [Output(NAV_IDS[page], "href") for page in ("overview", "behaviors", "layers")],
    Input(ids.URL, "pathname"),
    Input(ids.URL, "search"),
    # the first view's layout holds them (server/first_view.py); without it the URL's Location
    # reports the URL when it mounts, which runs this
    prevent_initial_call=True,
)
def carry_compared_models(pathname: str | None, search: str | None) -> list[str]:
    """The top bar's hrefs for the models and base of the page now shown."""
    return nav_hrefs(pathname, search)


def nav_hrefs(pathname: str | None, search: str | None) -> list[str]:
    """The top bar's hrefs (Overview, Behaviors, Layers) for a page's URL."""
    forest = experiment().forest
    query = parse_search(search)
    models, base = compared(page_of(pathname), query, forest.models,
                            compare_base(forest, decode_ids(query.get("sel"))))
    return [page_href("overview", overview_query(models)),
            page_href("behaviors", detail_query(models, base)),
            page_href("layers", detail_query(models, base))]


@callback(
    Output({"type": ids.DETAIL_NAV, "page": MATCH}, "href"),
    Input({"type": ids.DETAIL_BASE, "page": MATCH}, "value"),
    Input({"type": ids.DETAIL_REMOVE, "page": MATCH, "model": ALL}, "n_clicks"),
    State(ids.URL, "pathname"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def change_models(base: str | None, clicks: list[int], pathname: str, search: str | None) -> str:
    """A new base or a removed model becomes a navigation to the updated query string."""
    query = parse_search(search)
    models, current = decode_ids(query.get("models")), first(query.get("base"))
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and trigger.get("type") == ids.DETAIL_REMOVE:
        if not any(clicks):
            return no_update
        return pathname + after_change(search, models, current, removed=trigger["model"])
    if not base or base == current:
        return no_update
    return pathname + after_change(search, models, base)
