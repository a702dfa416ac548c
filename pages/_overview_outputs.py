"""What the Overview's stores become: one function per derived output, for callbacks and layout.

Why one place: the page's layout computes its first view with the same functions the
callbacks run on later changes (filters, front, panes, compare tab, scatterplot), so the first
paint needs no callback (``prevent_initial_call``) and can never differ from what a callback
would have drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend.experiment.forest import ExperimentForest
from backend.overview import actions
from backend.overview.compare import compute
from backend.overview.filters import constraints, mask_of, passing_ids
from backend.overview.pareto import front_ids, relaxations
from backend.viewstate.overview import OverviewView, shown_front, store_budgets, store_filters
from components.overview.compare_tab import compare_body
from components.overview.filter_pane import filter_pane
from components.overview.page import FirstView, tab_options
from components.overview.pareto_pane import pareto_pane
from components.overview.scatter import faded_mask, scatter_figure
from pages._annotation_data import model_flags, panel_for


def passing(forest: ExperimentForest, rows: list[dict] | None,
            budgets: list[dict] | None) -> list[str] | None:
    """Ids passing every brush and budget; None when nothing filters."""
    return passing_ids(forest, constraints(store_filters(rows), store_budgets(budgets)))


def front(forest: ExperimentForest, pareto: dict | None,
          passing_models: list[str] | None) -> list[str]:
    """The Pareto front of the models that pass the filters and budgets."""
    return front_ids(forest, shown_front(pareto), passing_models)


def filter_outputs(forest: ExperimentForest, rows: list[dict] | None,
                   passing_models: list[str] | None) -> tuple:
    """The Filter pane and the tab options (the Filter tab's label counts the passing models)."""
    pane = filter_pane(forest, rows or [], mask_of(forest, passing_models))
    return pane, tab_options(forest, passing_models)


def pareto_outputs(forest: ExperimentForest, pareto: dict | None, budgets: list[dict] | None,
                   rows: list[dict] | None, front_models: list[str] | None) -> list:
    """Controls, budget rows and one relaxation readout per complete budget."""
    pareto = pareto or {}
    complete, brushed = store_budgets(budgets), store_filters(rows)
    readouts = relaxations(forest, pareto.get("a"), pareto.get("b"), complete, brushed)
    return pareto_pane(forest, pareto, budgets or [], front_models or [], readouts)


def compare_outputs(forest: ExperimentForest, selection: Sequence[str] | None,
                    refinement: str | None) -> list:
    """Charts, menu and table of the Compare tab for a selection and refinement."""
    return compare_body(forest, compute(forest, list(selection or []), refinement))


def scatter(forest: ExperimentForest, view: OverviewView, passing_models: list[str] | None,
            front_models: list[str], budgets: list[dict] | None, flags: dict[str, str] | None = None) -> dict:
    """The whole scatterplot figure for a view (``flags``: the models' review statuses, ringed)."""
    faded = faded_mask(forest, passing_models)
    return scatter_figure(forest, view.x, view.y, view.color, view.size, list(view.selection), faded,
                          front_models, budgets or [], flags)


def first_view(forest: ExperimentForest, view: OverviewView) -> FirstView:
    """The page's first view: what filtered, front, the panes, the tab and the scatter give.

    A selection that the URL's own filters exclude is narrowed as the filter callback narrows
    it, and a refinement does not survive a changed selection (spec §1.8).
    """
    rows, budgets, pareto = view.filter_rows(forest), view.budget_rows(), view.pareto_settings(forest)
    passing_models = passing(forest, rows, budgets)
    kept = actions.kept_selection(list(view.selection), passing_models)
    if passing_models is not None and kept != list(view.selection):
        view = view.with_(selection=tuple(kept), refine="")
    front_models = front(forest, pareto, passing_models)
    flags = model_flags()
    pane, options = filter_outputs(forest, rows, passing_models)
    return FirstView(
        view=view,
        passing=passing_models,
        front=front_models,
        figure=scatter(forest, view, passing_models, front_models, budgets, flags),
        compare=compare_outputs(forest, view.selection, view.refine),
        filter_pane=pane,
        tab_options=options,
        pareto_pane=pareto_outputs(forest, pareto, budgets, rows, front_models),
        notes=panel_for(view.selection),
        flags=flags,
    )
