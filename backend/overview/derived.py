"""The Overview's "+ Derived metric" control: adding and removing a metric defined on the page.

Why here: the callback only wires inputs to these. Adding checks the definition the way the URL's
parser will (``backend.viewstate.derived``), so a metric the page accepts is one a bookmark
restores; a refused one is one line for the user, and the view stays as it was.
"""

from __future__ import annotations

from backend.experiment.derived import extend
from backend.experiment.forest import ExperimentForest
from backend.viewstate.derived import MAX_DERIVED, NO_METRIC, definitions
from backend.viewstate.overview import OverviewView


def add_metric(view: OverviewView, forest: ExperimentForest, name: str | None,
               expr: str | None) -> tuple[OverviewView | None, str | None]:
    """The view with one more derived metric, or (None, why not in one line).

    ``forest`` is the page's forest without the view's own derived metrics (built-ins and the
    config's included); the new metric may use any of those and the view's earlier ones.
    """
    name, expr = (name or "").strip(), (expr or "").strip()
    if not name:
        return None, "Give the derived metric a name."
    if name == NO_METRIC:
        return None, f"'{NO_METRIC}' means no metric in the URL; pick another name."
    if len(view.derived) >= MAX_DERIVED:
        return None, f"At most {MAX_DERIVED} derived metrics; remove one first."
    derived = (*view.derived, (name, expr))
    rejected = dict(extend(forest, definitions(derived)).rejected)
    if len(derived) - 1 in rejected:
        return None, rejected[len(derived) - 1]
    return view.with_(derived=derived), None


def remove_metric(view: OverviewView, forest: ExperimentForest, index: int) -> OverviewView:
    """The view without its ``index``-th derived metric, nor the ones built on it; slots, filters,
    budgets and a front that named them are cleared, so the new URL has no dangling name."""
    if not 0 <= index < len(view.derived):
        return view
    rest = view.derived[:index] + view.derived[index + 1:]
    rejected = dict(extend(forest, definitions(rest)).rejected)
    kept = tuple(p for i, p in enumerate(rest) if i not in rejected)
    gone = {name for name, _ in view.derived} - {name for name, _ in kept}
    return view.with_(derived=kept).dropping(gone)
