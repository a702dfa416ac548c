"""The Behaviors page's binding of ``backend.behaviors`` to this app's experiment and engine.

Why a module: the backend takes the engine and forest as arguments (so it is tested without a
Flask app); the page's callbacks, its layout and tests that run inside the app read them from
``server.context`` here, in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import backend.behaviors as bh
from backend.viewstate.behaviors import BehaviorView
from server.context import engine, experiment

Sort = tuple[str, str] | None


def open_view(query: Mapping[str, str | list[str]]) -> bh.Opening:
    """The view of the page's URL, its notices and its controls' choices."""
    return bh.open_view(query, experiment().forest, engine)


def ready(view: BehaviorView) -> bool:
    """Whether every compared model's predictions are on disk."""
    return bh.ready(engine(), view)


def missing(view: BehaviorView) -> list[str]:
    """The compared models whose predictions are not computed yet."""
    return bh.missing(engine(), view)


def text_instances() -> bool:
    """Whether the evaluation instances are text (the instance column is wider and wraps)."""
    return bh.text_instances(engine())


def relative_only() -> tuple[str, ...]:
    """The comparisons that exist in Relative mode only (no raw values)."""
    return bh.relative_only(engine())


def run(view: BehaviorView, sort: Sort = None, page: int = 0) -> tuple[bh.BehaviorData, bh.QueryResult]:
    """The view's data and one query result."""
    return bh.run(engine(), view, sort, page)


def render_instance(index: int) -> dict:
    """One instance's picture or text (a renderer's error stays in its row)."""
    return bh.render_instance(engine(), index)


def attribution(view: BehaviorView) -> list[tuple[str, list[dict]]] | None:
    """Flip attribution along the paths, or None while they are not cached."""
    return bh.attribution(engine(), experiment().forest, view)


def export_csv(view: BehaviorView, sort: Sort) -> tuple[str, str]:
    """Every filtered row as CSV, and the file name."""
    return bh.export_csv(engine(), view, sort)


def load_predictions(view: BehaviorView, progress: Callable[[int, int], None]) -> float:
    """Predictions of the compared models and their paths (the background job); seconds taken."""
    return bh.load_predictions(engine(), experiment().forest, view, progress)
