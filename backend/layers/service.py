"""The engine side of the Layers statistics: cache keys, computing missing pairs, loading a summary.

Why: the reference holds every compared model in memory, compares weights only when shapes
match and sums in float16 (spec §6). Here each model is streamed tensor by tensor against the
base (``backend.layers.pair_stats``), one (model, base) pair at a time, and the per-pair
statistics are cached on disk keyed by the cache keys of both models' tensors: re-basing,
adding or removing a model recomputes only the pairs that are new. Reading is cache-only, so
any gunicorn worker answers; a small per-process LRU keeps the parsed entries (immutable by
construction: the key is what determines them).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from backend.infra.cache import result_key
from backend.layers.pair_stats import Progress, Stats, no_progress, pair_stats, self_stats
from backend.layers.summary import LayerSummary
from backend.layers.tensor_stats import ACTIVATION_BINS, FIELDS, WEIGHT_BINS, FileTensor

if TYPE_CHECKING:
    from backend.inference.engine import Engine

TENSORS = ("sparsity", "weights", "activations")
TENSOR_LABELS = {"sparsity": "Sparsity", "weights": "Weight changes", "activations": "Activations"}
SOURCES = {"sparsity": "parameters", "weights": "parameters", "activations": "activations"}


def _version() -> str:
    """The statistics version in cache keys, read from the package at call time.

    ``backend.layers.STATS_VERSION`` is the one to change: the P4 benchmark sets it there to get
    fresh keys (compute, never a cache hit).
    """
    import backend.layers as package

    return package.STATS_VERSION


def _source_key(engine: Engine, source: str, model_id: str) -> str:
    if source == "activations":
        return engine.key("activations", model_id, indices=engine.activation_indices().tolist())
    return engine.key("parameters", model_id)


def stats_key(engine: Engine, source: str, base: str, model: str) -> str:
    """Cache key of one pair: the source arrays' keys of both models and the stats version."""
    return result_key(kind=f"layer-stats-{source}", version=_version(),
                      base=_source_key(engine, source, base),
                      model="self" if model == base else _source_key(engine, source, model))


def _target(source: str) -> int:
    return ACTIVATION_BINS if source == "activations" else WEIGHT_BINS


def _arrays(engine: Engine, source: str, model_id: str,
            progress: Progress = no_progress) -> dict[str, np.ndarray]:
    fetch = engine.activations if source == "activations" else engine.parameters
    return fetch(model_id, lambda *_: progress(0, 1, f"loading {model_id}"))


def _tensors(engine: Engine, source: str, model_id: str) -> dict:
    """Lightweight file handles for a model's arrays: no memory map stays open."""
    return {name: FileTensor.of(a) for name, a in _arrays(engine, source, model_id).items()}


def ready(engine: Engine, models: list[str], base: str, tensor: str) -> bool:
    """Whether every pair (and the base's own column) is already in the cache."""
    source = SOURCES[tensor]
    return all(engine.cache.has(stats_key(engine, source, base, m)) for m in [base, *models])


def compute(engine: Engine, models: list[str], base: str, tensor: str,
            progress: Progress = no_progress) -> None:
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
    return {"kind": "layer-stats", "model": model, "base": base, "shapes": stats.shapes,
            "structure": stats.structure}


_STATS_CACHE: OrderedDict[str, Stats] = OrderedDict()
_SUMMARY_CACHE: OrderedDict[tuple, LayerSummary] = OrderedDict()
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


def load_summary(engine: Engine, models: list[str], base: str, tensor: str) -> LayerSummary | None:
    """The comparison from the cache, or None when some pair is not computed yet."""
    source = SOURCES[tensor]
    order = [base] + [m for m in models if m != base]
    keys = tuple(stats_key(engine, source, base, m) for m in order)
    summary = _SUMMARY_CACHE.get(keys)
    if summary is not None:
        return summary
    stats = {}
    for model, key in zip(order, keys, strict=True):
        s = _read(engine, key)
        if s is None:
            return None
        stats[model] = s
    quantized = {m: quantized_modules(engine, source, m) for m in order}
    summary = LayerSummary(source, base, order, stats, quantized)
    _remember(_SUMMARY_CACHE, keys, summary, 8)
    return summary


def quantized_modules(engine: Engine, source: str, model_id: str) -> dict[str, str]:
    """Quantized module → description, from the metadata of the model's cached source arrays.

    Why the metadata: the engine records what ``TorchInspector.quantized_modules`` says when it
    computes parameters or activations, so reading stays cache-only (any worker answers) and
    no extra arrays appear as layers. Empty when the entry is missing or predates the record.
    """
    meta = engine.cache.array_meta(_source_key(engine, source, model_id)) or {}
    quantized = meta.get("quantized")
    return {str(k): str(v) for k, v in quantized.items()} if isinstance(quantized, dict) else {}
