"""The Behaviors page's data from the engine: derived vectors are computed once per model set.

``behavior_data`` reads every model's cached predictions, runs the comparisons once and stores
the small derived arrays (per comparison (k, n) float64, predictions (k, n)) in the result
cache under a key that hashes each model's prediction key, the base and the comparison specs:
a changed checkpoint, dataset or inspector gives a new key and never a stale answer. Non-base
models are stored in sorted order, so reordering them reuses the entry. A small per-process
LRU keeps the last few results (immutable, read-only arrays; never per-user state).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from itertools import chain

import numpy as np
import scipy.sparse as sp

from backend.behaviors.data import BehaviorData, ComparisonResult, build_behavior_data
from backend.inference.engine import Engine
from backend.inference.protocol import ComparisonSpec, EvalDataset, InspectorError
from backend.infra.cache import result_key

VERSION = "1"  # bump when the derived arrays' meaning changes
LRU_SIZE = 4
UNITS = 1000  # progress units per phase (one per model's predictions, one for the comparisons)

Progress = Callable[[int, int, str], None]

_lru: OrderedDict[tuple[str, tuple[str, ...]], BehaviorData] = OrderedDict()
_lock = threading.Lock()


def _spec_record(spec: ComparisonSpec) -> dict:
    return {"name": spec.name, "kind": spec.kind, "output": spec.output, "options": dict(spec.options)}


def _canonical(models: Sequence[str]) -> tuple[str, ...]:
    """Base first, then the other models sorted: the order the cache entry is stored in."""
    return (models[0], *sorted(models[1:]))


def derived_key(engine: Engine, models: Sequence[str]) -> str:
    """Cache key of the derived arrays of ``models`` (base first); nothing is computed."""
    models = list(models)
    if not models:
        raise ValueError("no models to compare")
    pred = {m: engine.key("predictions", m) for m in models}
    return result_key(kind="behaviors", version=VERSION, base=[models[0], pred[models[0]]],
                      others=sorted([m, pred[m]] for m in models[1:]),
                      specs=[_spec_record(s) for s in engine.inspector.comparisons()],
                      dataset=engine.dataset_fingerprint)


def all_cached(engine: Engine, models: Sequence[str]) -> bool:
    """Whether every model's predictions are on disk (so loading computes no predictions)."""
    try:
        return bool(models) and all(engine.is_cached("predictions", m) for m in models)
    except InspectorError:
        return False


def derived_cached(engine: Engine, models: Sequence[str]) -> bool:
    """Whether the comparison arrays of this model set are on disk already."""
    try:
        return engine.cache.has(derived_key(engine, models))
    except InspectorError:
        return False


def _freeze(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def class_members(ds: EvalDataset) -> sp.csr_matrix | None:
    """(n, classes) 0/1 membership of a dataset whose instances may be in several classes, or None
    (each instance is in its label's class). Not stored: it is the dataset's, the key has it."""
    if ds.classes is None:
        return None
    indptr = np.zeros(len(ds.classes) + 1, dtype=np.int64)
    np.cumsum([len(row) for row in ds.classes], out=indptr[1:])
    indices = np.fromiter(chain.from_iterable(ds.classes), dtype=np.int64, count=int(indptr[-1]))
    shape = (len(ds.classes), len(ds.class_names))
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=shape)


def _to_arrays(data: BehaviorData) -> tuple[dict[str, np.ndarray], dict]:
    arrays = {"predicted": data.predicted}
    if data.generative:
        arrays["answers"] = np.array(data.answers, dtype=str)
        arrays["exact"] = data.exact
    comps = []
    for i, comp in enumerate(data.comparisons.values()):
        arrays[f"d{i}"] = comp.difference
        if comp.value is not None:
            arrays[f"v{i}"] = comp.value
        comps.append({"name": comp.name, "kind": comp.kind, "options": comp.options})
    return arrays, {"kind": "behaviors", "models": list(data.models), "comparisons": comps}


def _reordered(engine: Engine, arrays: dict[str, np.ndarray], meta: dict,
               models: tuple[str, ...]) -> BehaviorData:
    """BehaviorData in the requested order from arrays stored in canonical order."""
    stored = list(meta["models"])
    perm = np.array([stored.index(m) for m in models])
    same = np.array_equal(perm, np.arange(len(perm)))

    def rows(a: np.ndarray) -> np.ndarray:
        return _freeze(np.array(a) if same else np.asarray(a)[perm])

    comparisons = {}
    for i, c in enumerate(meta["comparisons"]):
        value = arrays.get(f"v{i}")
        value = None if value is None else rows(value)
        comparisons[c["name"]] = ComparisonResult(c["name"], c["kind"], dict(c["options"]),
                                                  rows(arrays[f"d{i}"]), value)
    ds = engine.dataset
    answers = tuple(arrays["answers"].tolist()) if "answers" in arrays else None
    exact = rows(arrays["exact"]) if "exact" in arrays else None
    return BehaviorData(models, _freeze(np.asarray(ds.labels).astype(np.int64)), tuple(ds.class_names),
                        np.asarray(ds.ids), rows(arrays["predicted"]), comparisons, class_members(ds),
                        answers, exact, ds.references if answers is not None else None)


def _remember(key: tuple[str, tuple[str, ...]], data: BehaviorData) -> BehaviorData:
    with _lock:
        _lru[key] = data
        _lru.move_to_end(key)
        while len(_lru) > LRU_SIZE:
            _lru.popitem(last=False)
    return data


def clear_memory() -> None:
    """Forget the per-process LRU (tests; the disk cache stays)."""
    with _lock:
        _lru.clear()


def behavior_data(engine: Engine, models: Sequence[str], progress: Progress | None = None) -> BehaviorData:
    """Comparison data of ``models`` (models[0] is the base): memory, then disk, then computed."""
    models = tuple(models)
    key = derived_key(engine, models)
    with _lock:
        hit = _lru.get((key, models))
        if hit is not None:
            _lru.move_to_end((key, models))
            return hit
    stored = engine.cache.get_arrays(key, mmap=False)
    meta = engine.cache.array_meta(key) if stored is not None else None
    if stored is not None and meta:
        return _remember((key, models), _reordered(engine, stored, meta, models))
    canonical = _canonical(models)
    phases = len(canonical) + 1
    report = progress or (lambda _d, _t, _m: None)
    outputs = {}
    for i, m in enumerate(canonical):
        def step(done: int, total: int, message: str, i: int = i) -> None:
            report(i * UNITS + UNITS * done // max(1, total), phases * UNITS, message)
        outputs[m] = engine.predictions(m, step)
        report((i + 1) * UNITS, phases * UNITS, f"predictions of {m} ready")

    def comparing(done: int, total: int, message: str) -> None:
        report((phases - 1) * UNITS + UNITS * done // max(1, total), phases * UNITS, message)

    ds = engine.dataset
    data = build_behavior_data(canonical, outputs, ds.labels, ds.class_names, ds.ids,
                               engine.inspector.comparisons(), members=class_members(ds), progress=comparing,
                               references=ds.references)
    arrays, meta = _to_arrays(data)
    engine.cache.put_arrays(key, arrays, meta)
    report(phases * UNITS, phases * UNITS, "comparisons ready")
    result = data if canonical == models else _reordered(engine, arrays, meta, models)
    return _remember((key, models), result)
