"""Layer statistics of several models against a base: sparsity, weights and activations.

Why: the Layers page (spec §1.10) shows, module by module, what compression zeroed or changed.
The reference holds every compared model in memory, compares weights only when shapes match
and sums in float16 (spec §6). Here each model is streamed tensor by tensor against the base
(``backend.layers.tensor_stats``), one (model, base) pair at a time, and the per-pair statistics are
cached on disk keyed by the cache keys of both models' tensors: re-basing, adding or removing a
model recomputes only the pairs that are new. Tensors whose shapes differ are summarised alone
(their values land in a "not comparable" change bin) instead of failing the comparison.

Public API (the page, the tests and the P4 benchmark use exactly this):

    TENSORS, SOURCES                          tensor types and where their data come from
    Stats, self_stats(arrays), pair_stats(model_arrays, base_arrays, base_self)
    ready(engine, models, base, tensor) -> bool
    compute(engine, models, base, tensor, progress) -> None       (streams, caches)
    load_view(engine, models, base, tensor) -> LayerView | None   (from the cache only)
    LayerView: tree, field(), base_value(), change(), cell(), histograms(), heatmap(), distributions()
    instance_divergence(activations, base) -> InstanceDivergence  (per-instance drill-down)
    instance_ready / compute_instance / load_instance             (its engine side)

Where each part lives (this module is the facade and re-exports them all):

    backend.layers.pair_stats      Stats, self_stats, pair_stats (per-pair statistics), Progress
    backend.layers.summary       LayerView, DISPLAY_BINS (the comparison as the page reads it)
    backend.layers.instance   InstanceDivergence, activation_distance, instance_divergence,
                             instance_ready, compute_instance, load_instance, DIVERGENCE_THRESHOLD
    backend.layers (here)    TENSORS, SOURCES, stats_key, ready, compute, load_view and their
                             small in-process LRU of Stats and views
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from backend.infra.cache import result_key
from backend.layers.instance import (
    DIVERGENCE_THRESHOLD,
    InstanceDivergence,
    activation_distance,
    compute_instance,
    instance_divergence,
    instance_ready,
    load_instance,
)
from backend.layers.pair_stats import Progress, Stats, _quiet, pair_stats, self_stats
from backend.layers.summary import DISPLAY_BINS, LayerView
from backend.layers.tensor_stats import (
    ACTIVATION_BINS,
    FIELDS,
    N_CHANGE,
    NOT_COMPARABLE,
    STATS_VERSION,
    WEIGHT_BINS,
    FileTensor,
)

if TYPE_CHECKING:
    from backend.inference.engine import Engine

TENSORS = ("sparsity", "weights", "activations")
TENSOR_LABELS = {"sparsity": "Sparsity", "weights": "Weight changes", "activations": "Activations"}
SOURCES = {"sparsity": "parameters", "weights": "parameters", "activations": "activations"}


# --- the engine side: cache keys, computing, loading -----------------------------------------
def _source_key(engine: Engine, source: str, model_id: str) -> str:
    if source == "activations":
        return engine.key("activations", model_id, indices=engine.activation_indices().tolist())
    return engine.key("parameters", model_id)


def stats_key(engine: Engine, source: str, base: str, model: str) -> str:
    """Cache key of one pair: the source arrays' keys of both models and the stats version."""
    return result_key(kind=f"layer-stats-{source}", version=STATS_VERSION,
                      base=_source_key(engine, source, base),
                      model="self" if model == base else _source_key(engine, source, model))


def _target(source: str) -> int:
    return ACTIVATION_BINS if source == "activations" else WEIGHT_BINS


def _arrays(engine: Engine, source: str, model_id: str, progress: Progress = _quiet) -> dict[str, np.ndarray]:
    fetch = engine.activations if source == "activations" else engine.parameters
    return fetch(model_id, lambda *_: progress(0, 1, f"loading {model_id}"))


def _tensors(engine: Engine, source: str, model_id: str) -> dict:
    """Lightweight file handles for a model's arrays: no memory map stays open."""
    return {name: FileTensor.of(a) for name, a in _arrays(engine, source, model_id).items()}


def ready(engine: Engine, models: list[str], base: str, tensor: str) -> bool:
    """Whether every pair (and the base's own column) is already in the cache."""
    source = SOURCES[tensor]
    return all(engine.cache.has(stats_key(engine, source, base, m)) for m in [base, *models])


def compute(engine: Engine, models: list[str], base: str, tensor: str, progress: Progress = _quiet) -> None:
    """Stream and cache the missing pairs; progress counts models (one unit each)."""
    source = SOURCES[tensor]
    target = _target(source)
    order = [base] + [m for m in models if m != base]
    total = len(order)
    base_tensors = None
    base_self = _read(engine, stats_key(engine, source, base, base))
    for i, model in enumerate(order):
        key = stats_key(engine, source, base, model)
        if (model == base and base_self is not None) or (model != base and engine.cache.has(key)):
            progress(i + 1, total, f"{model} cached")
            continue

        def step(done: float, whole: float, what: str, i: int = i, model: str = model) -> None:
            progress(i + (done / whole if whole else 0), total, f"{model}: {what}")

        if base_tensors is None:
            step(0, 1, "loading")
            base_tensors = _tensors(engine, source, base)
        if model == base:
            if base_self is None:
                base_self = self_stats(base_tensors, target, step)
                engine.cache.put_arrays(key, base_self.to_arrays(), _meta(base_self, model, base))
            continue
        step(0, 1, "loading")
        model_tensors = _tensors(engine, source, model)
        stats = pair_stats(model_tensors, base_tensors, base_self, target, step)
        engine.cache.put_arrays(key, stats.to_arrays(), _meta(stats, model, base))
    progress(total, total, "done")


def _meta(stats: Stats, model: str, base: str) -> dict:
    return {"kind": "layer-stats", "model": model, "base": base, "shapes": stats.shapes}


_STATS_CACHE: OrderedDict[str, Stats] = OrderedDict()
_VIEW_CACHE: OrderedDict[tuple, LayerView] = OrderedDict()
_LOCK = threading.Lock()


def _remember(store: OrderedDict, key, value, limit: int) -> None:
    with _LOCK:
        store[key] = value
        store.move_to_end(key)
        while len(store) > limit:
            store.popitem(last=False)


def _read(engine: Engine, key: str) -> Stats | None:
    """A pair's Stats from the cache (memoised by key: entries are immutable by construction)."""
    hit = _STATS_CACHE.get(key)
    if hit is not None:
        return hit
    arrays = engine.cache.get_arrays(key, mmap=False)
    if arrays is None:
        return None
    stats = Stats.from_arrays(arrays, engine.cache.array_meta(key) or {})
    if stats.fields.ndim != 2 or stats.fields.shape[1] != len(FIELDS):
        return None  # written by another version of the statistics: compute again
    _remember(_STATS_CACHE, key, stats, 64)
    return stats


def load_view(engine: Engine, models: list[str], base: str, tensor: str) -> LayerView | None:
    """The comparison from the cache, or None when some pair is not computed yet."""
    source = SOURCES[tensor]
    order = [base] + [m for m in models if m != base]
    keys = tuple(stats_key(engine, source, base, m) for m in order)
    view = _VIEW_CACHE.get(keys)
    if view is not None:
        return view
    stats = {}
    for model, key in zip(order, keys, strict=True):
        s = _read(engine, key)
        if s is None:
            return None
        stats[model] = s
    view = LayerView(source, base, order, stats)
    _remember(_VIEW_CACHE, keys, view, 8)
    return view


__all__ = ["DISPLAY_BINS", "DIVERGENCE_THRESHOLD", "FIELDS", "N_CHANGE", "NOT_COMPARABLE", "SOURCES",
           "TENSORS", "TENSOR_LABELS", "InstanceDivergence", "LayerView", "Stats", "activation_distance",
           "compute", "compute_instance", "instance_divergence", "instance_ready", "load_instance",
           "load_view", "pair_stats", "ready", "self_stats", "stats_key"]
