"""Per-instance drill-down: each layer's activation distance to the base for one input.

Why its own module: it works on one row's activations, not on the cached per-pair statistics,
so it shares nothing with the aggregate view but the progress callback. Imported through
``backend.layers``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from backend.layers.pair_stats import Progress, _quiet

if TYPE_CHECKING:
    from backend.inference.engine import Engine

DIVERGENCE_THRESHOLD = 0.01  # relative L2 distance above which an activation "diverges"


@dataclass(frozen=True)
class InstanceDivergence:
    """Per-layer activation distance of each model to the base for one input."""

    layers: list[str]
    distances: dict[str, list[float]]  # model -> per layer, NaN where shapes differ
    first: dict[str, str | None]  # model -> first layer whose distance exceeds the threshold
    threshold: float


def activation_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / max(‖a‖, ‖b‖) in float64 (0 when both are zero; NaN for other shapes)."""
    if a.shape != b.shape:
        return math.nan
    a64, b64 = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    den = max(float(np.linalg.norm(a64)), float(np.linalg.norm(b64)))
    return float(np.linalg.norm(a64 - b64)) / den if den > 0 else 0.0


def instance_divergence(activations: Mapping[str, Mapping[str, np.ndarray]], base: str,
                        threshold: float = DIVERGENCE_THRESHOLD) -> InstanceDivergence:
    """Distances for one instance; layers in the base's order (the inspector's forward order)."""
    layers = list(activations[base])
    distances, first = {}, {}
    for model, acts in activations.items():
        if model == base:
            continue
        row = [activation_distance(acts[layer], activations[base][layer]) if layer in acts else math.nan
               for layer in layers]
        distances[model] = row
        first[model] = next((layer for layer, d in zip(layers, row, strict=True)
                             if math.isfinite(d) and d > threshold), None)
    return InstanceDivergence(layers, distances, first, threshold)


def instance_ready(engine: Engine, models: list[str], row: int) -> bool:
    """Whether every model's activations for dataset row ``row`` are cached."""
    return all(engine.cache.has(engine.key("activations", m, indices=[int(row)])) for m in models)


def compute_instance(engine: Engine, models: list[str], base: str, row: int,
                     progress: Progress = _quiet) -> InstanceDivergence:
    """Activations of every model for one row (cached per model), then their distances."""
    acts = {}
    order = [base] + [m for m in models if m != base]
    for i, model in enumerate(order):
        progress(i, len(order), f"activations of {model}")
        acts[model] = engine.activations_at(model, np.asarray([int(row)]))
    progress(len(order), len(order), "done")
    return instance_divergence(acts, base)


def load_instance(engine: Engine, models: list[str], base: str, row: int) -> InstanceDivergence | None:
    """The drill-down from the cache only, or None."""
    if not instance_ready(engine, models, row):
        return None
    return compute_instance(engine, models, base, row)

