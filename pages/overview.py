"""Overview: the Model Map and the scatterplot of every model, linked, with the view in the URL."""

from __future__ import annotations

import dash
from dash import html

import pages._annotation_callbacks  # noqa: F401  (registers the review notes' callbacks)
import pages._compare_callbacks  # noqa: F401  (registers the Compare tab's callbacks)
import pages._derived_callbacks  # noqa: F401  (registers the "+ Derived metric" control's callback)
import pages._filter_callbacks  # noqa: F401  (registers the Filter tab's callbacks)
import pages._launch_callbacks  # noqa: F401  (registers "New experiment…", when the config enables it)
import pages._overview_callbacks  # noqa: F401  (registers the map's and scatterplot's callbacks)
import pages._pareto_callbacks  # noqa: F401  (registers the Pareto & budgets callbacks)
from backend.overview.collapse import auto_collapse
from backend.viewstate.derived import derived_forest
from backend.viewstate.overview import parse
from components.overview.page import empty_overview, overview_page
from pages._annotation_data import flagged
from pages._launch_callbacks import launch_operations
from pages._overview_forest import base_forest
from pages._overview_outputs import first_view
from server.context import experiment

dash.register_page(__name__, path="/", title="Compress & Compare", name="Overview")


def layout(**query: str) -> html.Div:
    """The page for a URL (``backend.viewstate.overview`` says which keys restore what)."""
    current = experiment()
    if not len(current.forest):  # a live experiment before its first model
        return empty_overview(current.models_path)
    base = base_forest()
    view, notices = parse(query, base)
    if view.flag and not view.selection:  # flag=regression: select the models flagged so
        chosen, problem = flagged(list(base.models), view.flag)
        view, notices = view.with_(selection=chosen), notices + ([problem] if problem else [])
    forest = derived_forest(base, view.derived)  # the metrics the view may name
    return overview_page(forest, first_view(forest, view), notices, auto_collapse(forest),
                         launch_operations(current))
