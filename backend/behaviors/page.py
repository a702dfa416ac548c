"""What the Behaviors page asks of the engine for one view: its options, data, rows and jobs.

Why here and not in the page: every step is plain data plumbing (which models, which cache
entry, which query, which paths), testable without Dash; the page only binds it to the app's
experiment and engine (``pages/_behaviors_data.py``) and its callbacks only wire.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from backend.behaviors.data import CORRECTNESS, BehaviorData, text_predictions
from backend.behaviors.flags import wanted
from backend.behaviors.flips import flip_attribution, operation_label
from backend.behaviors.query import QueryResult, rows_csv
from backend.behaviors.query import query as run_query
from backend.behaviors.rows import PAGE_SIZE, BehaviorQuery
from backend.behaviors.store import all_cached, behavior_data
from backend.behaviors.vectors import VALUELESS_KINDS
from backend.experiment.forest import ExperimentForest
from backend.inference.engine import Engine
from backend.inference.protocol import InspectorError
from backend.infra.cache import CacheError
from backend.viewstate.behaviors import BehaviorView, parse
from backend.viewstate.links import detail_models

# What a request of the page can fail with; each becomes one line on the page, never a traceback.
FAILURES = (InspectorError, CacheError, ValueError, KeyError)

Sort = tuple[str, str] | None
Flags = Mapping[str, str]  # instance id -> latest review status (backend.behaviors.flags)


@dataclass(frozen=True)
class Opening:
    """The page's view (None when there is nothing to show), its notices, and the choices of its
    controls; ``error`` is the one line of an engine that could not start."""

    view: BehaviorView | None
    notices: list[str]
    comparisons: list[str]
    class_names: tuple[str, ...]
    error: str | None = None
    relative_only: tuple[str, ...] = ()  # comparisons without raw values: Relative mode only


def comparison_names(engine: Engine) -> list[str]:
    """Correctness first, then the inspector's comparisons in its order."""
    return [CORRECTNESS] + [c.name for c in engine.inspector.comparisons() if c.name != CORRECTNESS]


def text_instances(engine: Engine) -> bool:
    """Whether the instances are text (a question and its context, a sentence): the page gives
    them the wider, wrapping instance column."""
    try:
        return engine.dataset.kind == "text"
    except InspectorError:
        return False


def relative_only(engine: Engine) -> tuple[str, ...]:
    """The comparisons that have no raw per-model value (MSE, KL divergence): only their change
    against the base exists, so Absolute mode is not offered for them."""
    return tuple(c.name for c in engine.inspector.comparisons() if c.kind in VALUELESS_KINDS)


def open_view(query: Mapping[str, str | list[str]], forest: ExperimentForest,
              engine: Callable[[], Engine]) -> Opening:
    """The view of a URL. The engine is asked for the comparisons and classes only when the URL
    names a known model, so a bare /behaviors shows its hint even without an inspector."""
    models, _, notices = detail_models(query.get("models"), query.get("base"), forest)
    if not models:
        return Opening(None, notices, [], ())
    try:
        eng = engine()
        names = comparison_names(eng)
        classes = tuple(eng.dataset.class_names)
        valueless = relative_only(eng)
    except (InspectorError, CacheError) as exc:
        return Opening(None, notices, [], (), str(exc))
    view, notices = parse(query, forest, comparisons=names, n_classes=len(classes), relative_only=valueless)
    return Opening(view.with_(comparison=view.comparison or names[0]), notices, names, classes,
                   relative_only=valueless)


def ready(engine: Engine, view: BehaviorView) -> bool:
    """Whether every compared model's predictions are on disk (nothing would be computed)."""
    return all_cached(engine, list(view.models))


def missing(engine: Engine, view: BehaviorView) -> list[str]:
    """The compared models whose predictions are not on disk yet (what "Load predictions" computes)."""
    try:
        return [m for m in view.models if not engine.is_cached("predictions", m)]
    except InspectorError:
        return list(view.models)


def view_data(engine: Engine, view: BehaviorView) -> BehaviorData:
    """The comparison arrays of the view's models, from cached predictions only: a request never
    runs a model (only the "Load predictions" job does), it says which predictions are missing."""
    absent = missing(engine, view)
    if absent:
        raise ValueError(f"predictions of {', '.join(repr(m) for m in absent)} are not computed yet: "
                         "press Load predictions")
    return behavior_data(engine, list(view.models))


def behavior_query(view: BehaviorView, sort: Sort = None, page: int = 0,
                   flags: Flags | None = None) -> BehaviorQuery:
    """The backend query of a view, for one page and sort order; ``flags`` are the instances'
    review statuses, which the view's review filter keeps (none kept when they are unknown)."""
    return BehaviorQuery(
        comparison=view.comparison or CORRECTNESS, mode=view.mode, level=view.level,
        class_filter=view.class_filter if view.level == "instance" else None,
        brushes=view.brush_map(), sort=sort, page=page, page_size=PAGE_SIZE, wrong_by=view.wrong,
        pair=view.pair, instances=wanted(flags or {}, view.flag) if view.flagged else None,
    )


def run(engine: Engine, view: BehaviorView, sort: Sort = None, page: int = 0,
        flags: Flags | None = None) -> tuple[BehaviorData, QueryResult]:
    """Data and one query result."""
    data = view_data(engine, view)
    return data, run_query(data, behavior_query(view, sort, page, flags))


def export_csv(engine: Engine, view: BehaviorView, sort: Sort,
               flags: Flags | None = None) -> tuple[str, str]:
    """(CSV text of every filtered row, not only one page; its file name)."""
    text = rows_csv(view_data(engine, view), behavior_query(view, sort, 0, flags))
    return text, f"behaviors-{view.level}-{view.comparison}.csv".replace(" ", "_")


def render_instance(engine: Engine, index: int) -> dict:
    """{'image': data URI} or {'text': ...} for one row of the evaluation set; a renderer that
    fails shows its one-line error in that row only, so the other rows still draw."""
    try:
        rendered = engine.render_instance(int(index))
    except InspectorError as exc:
        return {"text": f"cannot render: {exc}"}
    if rendered.mime == "image/png":
        return {"image": "data:image/png;base64," + base64.b64encode(rendered.data).decode()}
    return {"text": str(rendered.data)}


def path_models(forest: ExperimentForest, view: BehaviorView) -> list[str]:
    """Every model on the paths from the roots to the compared models (for attribution)."""
    return list(dict.fromkeys(p for m in view.models for p in forest.path(m)))


def attribution(engine: Engine, forest: ExperimentForest,
                view: BehaviorView) -> list[tuple[str, list[dict]]] | None:
    """Flip attribution of every non-base model along its path, or None if paths are not cached."""
    paths = path_models(forest, view)
    if not all(engine.is_cached("predictions", m) for m in paths):
        return None
    ds = engine.dataset
    right: dict[str, np.ndarray] | None = None
    if ds.generative:  # answers as codes of the distinct strings; right means exact match
        codes, _, exact = text_predictions(paths, {m: engine.predictions(m) for m in paths},
                                           ds.references, len(ds))
        preds = dict(zip(paths, codes, strict=True))
        right = dict(zip(paths, exact, strict=True))
    else:
        preds = {m: engine.predictions(m)["probs"].argmax(axis=1) for m in paths}
    out = []
    for m in view.models:
        if m == view.base:
            continue
        path = forest.path(m)
        ops = [operation_label(forest[p].operation) for p in path[1:]]
        out.append((m, flip_attribution(path, ops, [preds[p] for p in path], ds.labels,
                                        None if right is None else [right[p] for p in path])))
    return out


def load_predictions(engine: Engine, forest: ExperimentForest, view: BehaviorView,
                     progress: Callable[[int, int], None]) -> float:
    """Compute (or read) the predictions of the compared models and of their paths, then the
    comparison arrays (here, in the job, rather than in a request); seconds it took."""
    t0 = time.perf_counter()
    todo = list(dict.fromkeys(list(view.models) + path_models(forest, view)))
    n = len(engine.dataset)
    total = n * len(todo)
    for i, model_id in enumerate(todo):
        engine.predictions(model_id, lambda done, _t, _m, i=i: progress(i * n + done, total))
        progress((i + 1) * n, total)
    behavior_data(engine, list(view.models))
    return time.perf_counter() - t0
