"""Glue between the Behaviors callbacks and the backend: cached data, queries, instance pictures."""

from __future__ import annotations

import base64
import hashlib
import json

from backend.behaviors import (
    CORRECTNESS,
    BehaviorData,
    BehaviorQuery,
    QueryResult,
    flip_attribution,
    query,
)
from backend.behaviors.store import all_cached, behavior_data
from backend.inference.engine import Engine
from backend.inference.protocol import InspectorError
from backend.viewstate.behaviors import BehaviorView
from components.behaviors.extras import operation_label
from components.behaviors.grid import PAGE_SIZE
from server.context import engine, experiment


def comparison_names(eng: Engine) -> list[str]:
    """Correctness first, then the inspector's comparisons in its order."""
    return [CORRECTNESS] + [c.name for c in eng.inspector.comparisons() if c.name != CORRECTNESS]


def ready(view: BehaviorView) -> bool:
    """Whether every compared model's predictions are on disk (nothing would be computed)."""
    return all_cached(engine(), list(view.models))


def data(view: BehaviorView) -> BehaviorData:
    """The comparison arrays of the view's models (from the cache; computed once per set)."""
    return behavior_data(engine(), list(view.models))


def behavior_query(view: BehaviorView, sort: tuple[str, str] | None, page: int) -> BehaviorQuery:
    """The backend query of a view, for one page and sort order."""
    return BehaviorQuery(
        comparison=view.comparison or CORRECTNESS, mode=view.mode, level=view.level,
        class_filter=view.class_filter if view.level == "instance" else None,
        brushes=view.brush_map(), sort=sort, page=page, page_size=PAGE_SIZE, wrong_by=view.wrong,
        pair=view.pair,
    )


def run(view: BehaviorView, sort: tuple[str, str] | None = None,
        page: int = 0) -> tuple[BehaviorData, QueryResult]:
    """Data and one query result."""
    d = data(view)
    return d, query(d, behavior_query(view, sort, page))


def render_instance(index: int) -> dict:
    """{'image': data URI} or {'text': ...} for one row of the evaluation set; a renderer that
    fails shows its one-line error in that row only, so the other rows still draw."""
    try:
        rendered = engine().render_instance(int(index))
    except InspectorError as exc:
        return {"text": f"cannot render: {exc}"}
    if rendered.mime == "image/png":
        return {"image": "data:image/png;base64," + base64.b64encode(rendered.data).decode()}
    return {"text": str(rendered.data)}


def key(view: BehaviorView, *fields: str) -> str:
    """A short hash of some view fields: callbacks re-run only when these change."""
    payload = json.dumps([getattr(view, f) for f in fields], default=list, sort_keys=True)
    return hashlib.sha1(payload.encode()).hexdigest()[:12]


GRID_FIELDS = ("models", "base", "comparison", "mode", "level", "class_filter", "brushes", "wrong", "pair")
HEAD_FIELDS = ("models", "base", "comparison", "mode", "level", "class_filter", "wrong", "pair")


def path_models(view: BehaviorView) -> list[str]:
    """Every model on the paths from the roots to the compared models (for attribution)."""
    forest = experiment().forest
    out: list[str] = []
    for m in view.models:
        out.extend(forest.path(m))
    return list(dict.fromkeys(out))


def attribution(view: BehaviorView) -> list[tuple[str, list[dict]]] | None:
    """Flip attribution of every non-base model along its path, or None if paths are not cached."""
    eng = engine()
    paths = path_models(view)
    if not all(eng.is_cached("predictions", m) for m in paths):
        return None
    forest = experiment().forest
    labels = eng.dataset.labels
    preds = {m: eng.predictions(m)["probs"].argmax(axis=1) for m in paths}
    out = []
    for m in view.models:
        if m == view.base:
            continue
        path = forest.path(m)
        ops = [operation_label(forest, p) for p in path[1:]]
        out.append((m, flip_attribution(path, ops, [preds[p] for p in path], labels)))
    return out
