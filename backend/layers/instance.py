"""Per-instance drill-down: each layer's activation distance to the base for one input.

Why its own module: it works on one row's activations, not on the cached per-pair statistics,
so it shares nothing with the aggregate summary but the progress callback. It also finds the
dataset row of an instance id and what the drill-down shows of that row (the rendered input,
its label). Imported through ``backend.layers``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from backend.inference.protocol import EvalDataset, InspectorError
from backend.layers.pair_stats import Progress, no_progress

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
                     progress: Progress = no_progress) -> InstanceDivergence:
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



# --- which row, and what the drill-down shows of it --------------------------------------------
def instance_row(dataset: EvalDataset, instance: str | None) -> tuple[int | None, str]:
    """The dataset row of an instance id (ids compared as text, as the URL carries them), or (None, why)."""
    if not instance:
        return None, ""
    hits = np.flatnonzero(np.asarray(dataset.ids).astype(str) == str(instance))
    if hits.size == 0:
        return None, f"Unknown instance id '{instance}'."
    return int(hits[0]), ""


@dataclass(frozen=True)
class InstancePreview:
    """One row as the drill-down shows it: the rendered input (or why not) and its class label."""

    mime: str | None  # "image/png", "text/plain", or None when it could not be rendered
    data: bytes | str | None
    problem: str  # a plug-in failure: shown instead of the input, never hiding the distances
    label: str | None


def instance_preview(engine: Engine, row: int) -> InstancePreview:
    """The rendered input and label of a dataset row; a rendering failure becomes ``problem``."""
    try:
        rendered = engine.render_instance(row)
        mime, data, problem = rendered.mime, rendered.data, ""
    except InspectorError as exc:  # a plug-in bug must not hide the distances
        mime, data, problem = None, None, str(exc)
    dataset = engine.dataset
    labels = np.asarray(dataset.labels)
    label = dataset.class_names[int(labels[row])] if row < len(labels) and dataset.class_names else None
    return InstancePreview(mime, data, problem, label)
