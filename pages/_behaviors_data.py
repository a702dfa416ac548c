"""The Behaviors page's binding of ``backend.behaviors`` to this app's experiment and engine.

Why a module: the backend takes the engine and forest as arguments (so it is tested without a
Flask app); the page's callbacks, its layout and tests that run inside the app read them from
``server.context`` here, in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import backend.behaviors as bh
from backend.behaviors.flags import GLOBAL, comparison_scope, instance_flags
from backend.viewstate.behaviors import BehaviorView
from server import annotations as notes_server
from server.context import engine, experiment

Sort = tuple[str, str] | None


class Review(NamedTuple):
    """The instances' review statuses in a comparison, and the line saying why they could not be
    read (the database is down, or the ``[team]`` extra is not installed)."""

    flags: dict[str, str]
    problem: str | None = None


def scope(view: BehaviorView) -> str:
    """The scope of notes made for this comparison."""
    return comparison_scope(view.models, view.base)


def instance_notes(view: BehaviorView, instance: str | None = None) -> list:
    """The instance notes of this comparison and the global ones, oldest first (``Unavailable``
    or ``AnnotationsUnavailable`` when the store cannot be used)."""
    store = notes_server.store()
    notes = [n for where in (GLOBAL, scope(view)) for n in store.list(target="instance", scope=where)]
    if instance is not None:
        notes = [n for n in notes if n.instance_id == instance]
    return sorted(notes, key=lambda n: n.id)


def statuses() -> tuple[str, ...]:
    """The statuses a note may carry (built-in and declared); none while the store is down."""
    try:
        return tuple(notes_server.store().statuses)
    except Exception as exc:  # noqa: BLE001  the card shows the line when opened
        if not notes_server.is_unavailable(exc):
            raise
        return ()


def review(view: BehaviorView) -> Review:
    """Each instance's latest review status here; empty with the one line when unreadable."""
    try:
        return Review(instance_flags(instance_notes(view), scope(view)))
    except Exception as exc:  # noqa: BLE001  Unavailable / AnnotationsUnavailable: its line
        if not notes_server.is_unavailable(exc):
            raise
        return Review({}, str(exc))


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


def run(view: BehaviorView, sort: Sort = None, page: int = 0,
        flags: Mapping[str, str] | None = None) -> tuple[bh.BehaviorData, bh.QueryResult]:
    """The view's data and one query result (``flags``: the review statuses the view filters by)."""
    return bh.run(engine(), view, sort, page, flags)


def render_instance(index: int) -> dict:
    """One instance's picture or text (a renderer's error stays in its row)."""
    return bh.render_instance(engine(), index)


def attribution(view: BehaviorView) -> list[tuple[str, list[dict]]] | None:
    """Flip attribution along the paths, or None while they are not cached."""
    return bh.attribution(engine(), experiment().forest, view)


def export_csv(view: BehaviorView, sort: Sort) -> tuple[str, str]:
    """Every filtered row as CSV, and the file name."""
    return bh.export_csv(engine(), view, sort, review(view).flags if view.flagged else None)


def load_predictions(view: BehaviorView, progress: Callable[[int, int], None]) -> float:
    """Predictions of the compared models and their paths (the background job); seconds taken."""
    return bh.load_predictions(engine(), experiment().forest, view, progress)
