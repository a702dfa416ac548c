"""Structured pruning: which of the base's channels a narrower tensor kept, found by weight similarity.

Why: the paper compares weights only where shapes are identical, so a model whose layers lost
whole channels (conv filters, hidden units, attention heads) showed nothing but "not
comparable". Pruning tools keep the surviving channels in their original order, and a kept
channel still resembles its origin after fine-tuning, so each narrower axis is aligned to the
base's by an order-preserving assignment that maximises the cosine similarity of the matched
slices (dynamic programming over model × base channels). With the kept indices the base tensor
is cut to the model's shape and compared element by element as usual; the other channels are
the removed ones.

A tensor narrower on two axes (a conv whose inputs and outputs were both pruned) is matched
alternately: one axis from a shape-free signature (quantiles of each slice's values) or a hint,
then each axis given the other, twice. A hint is what neighbouring tensors already tell: a
bias or normalisation vector shares its channels with the last weight matched on that axis,
and a layer's inputs are the previous layer's outputs (also after a channel-major flatten).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ELEMENTS = 1 << 26  # tensors larger than this (256 MB of float32) stay "not comparable"
MAX_CELLS = 1 << 24  # model × base channels of one assignment (a float32 table of 64 MB)
PROJECT_ABOVE = 1024  # slices longer than this are compared through a seeded random projection
PROJECTION = 256
QUANTILES = np.linspace(0.05, 0.95, 9)
# below this mean cosine similarity the model's channels do not resemble the base's (unrelated
# weights of a narrower shape score 0.1-0.4 here; kept channels after fine-tuning 0.8-1)
MIN_SIMILARITY = 0.5


@dataclass(frozen=True)
class ChannelMatch:
    """The kept base channels on each narrower axis of one tensor."""

    kept: dict[int, np.ndarray]  # axis -> base indices, increasing, one per model channel
    base_shape: tuple[int, ...]
    similarity: float  # mean cosine similarity of the matched slices (NaN for vectors)

    @property
    def trusted(self) -> bool:
        """Whether the matched slices resemble each other (vectors have no similarity to judge)."""
        return bool(np.isnan(self.similarity) or self.similarity >= MIN_SIMILARITY)

    def select(self, base: np.ndarray) -> np.ndarray:
        """The base tensor cut to the model's shape: the kept channels only, in order."""
        out = base
        for axis, idx in sorted(self.kept.items()):
            out = np.take(out, idx, axis=axis)
        return np.ascontiguousarray(out)

    def removed(self, axis: int) -> np.ndarray:
        """Base indices on ``axis`` that the model no longer has."""
        keep = np.zeros(self.base_shape[axis], dtype=bool)
        keep[self.kept[axis]] = True
        return np.flatnonzero(~keep)

    def as_record(self) -> dict:
        """JSON for the cache entry's metadata: per axis the base width and the removed indices."""
        return {"axes": {str(a): {"base": int(self.base_shape[a]), "kept": int(len(k)),
                                  "removed": self.removed(a).tolist()} for a, k in sorted(self.kept.items())},
                "similarity": None if np.isnan(self.similarity) else round(float(self.similarity), 4)}


def narrower_axes(model_shape: tuple[int, ...], base_shape: tuple[int, ...]) -> list[int] | None:
    """The axes where the model is narrower than the base, or None when that is not the change."""
    if len(model_shape) != len(base_shape) or tuple(model_shape) == tuple(base_shape):
        return None
    axes = [a for a, (m, b) in enumerate(zip(model_shape, base_shape, strict=True)) if m != b]
    if any(model_shape[a] > base_shape[a] or model_shape[a] == 0 for a in axes) or len(axes) > 2:
        return None
    return axes


def matchable(model_shape: tuple[int, ...], base_shape: tuple[int, ...]) -> bool:
    """Whether a tensor of these shapes is narrower and small enough to match (before reading it)."""
    axes = narrower_axes(model_shape, base_shape)
    return axes is not None and int(np.prod(base_shape)) <= MAX_ELEMENTS and all(
        model_shape[a] * base_shape[a] <= MAX_CELLS for a in axes)


def monotone_match(score: np.ndarray) -> np.ndarray:
    """For each row i, a column j_i with j_0 < j_1 < …, maximising Σ score[i, j_i] (rows ≤ columns)."""
    m, n = score.shape
    table = np.empty((m, n), dtype=np.float32)
    table[0] = np.maximum.accumulate(score[0])
    for i in range(1, m):
        cand = np.full(n, -np.inf, dtype=np.float32)
        cand[1:] = table[i - 1, :-1] + score[i, 1:]
        table[i] = np.maximum.accumulate(cand)
    out = np.empty(m, dtype=np.int64)
    j = n - 1
    for i in range(m - 1, -1, -1):
        while j > i and table[i, j] == table[i, j - 1]:
            j -= 1
        out[i] = j
        j -= 1
    return out


def _slices(t: np.ndarray, axis: int) -> np.ndarray:
    """(channels, rest) float64 rows: each channel's values along the other axes."""
    return np.moveaxis(t, axis, 0).reshape(t.shape[axis], -1).astype(np.float64, copy=False)


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.shape[1] > PROJECT_ABOVE:
        proj = np.random.default_rng(0).standard_normal((a.shape[1], PROJECTION)) / np.sqrt(PROJECTION)
        a, b = a @ proj, b @ proj
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-30)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-30)
    return a @ b.T


def _signature(t: np.ndarray, axis: int) -> np.ndarray:
    """Per channel, quantiles of its values: comparable whatever the other axes kept."""
    q = np.quantile(_slices(t, axis), QUANTILES, axis=1).T
    scale = np.abs(q).max() or 1.0
    return q / scale


def _match_axis(model: np.ndarray, base: np.ndarray, axis: int) -> tuple[np.ndarray, float]:
    """Kept indices on ``axis`` when every other axis already has the model's width."""
    a, b = _slices(model, axis), _slices(base, axis)
    if a.shape[1] == 1:  # a vector: the values themselves are all there is
        score = -np.abs(a - b.T) / (np.abs(b).max() or 1.0)
        return monotone_match(score.astype(np.float32)), float("nan")
    sim = _cosine(a, b)
    idx = monotone_match(sim.astype(np.float32))
    return idx, float(sim[np.arange(len(idx)), idx].mean())


def match_channels(model: np.ndarray, base: np.ndarray,
                   hints: dict[int, np.ndarray] | None = None) -> ChannelMatch | None:
    """The kept base channels of a narrower ``model`` tensor, or None when it is another change.

    ``hints`` (axis → kept indices from a neighbouring tensor) are used as given for a vector
    and as the starting point of the alternation otherwise. A match whose channels do not
    resemble the base's (``trusted`` false) is None as well: the tensor was replaced, not pruned.
    """
    if not matchable(model.shape, base.shape):
        return None
    axes = narrower_axes(model.shape, base.shape)
    hints = {a: np.asarray(h, dtype=np.int64) for a, h in (hints or {}).items()
             if a in axes and len(h) == model.shape[a] and len(h) and int(np.max(h)) < base.shape[a]
             and np.all(np.diff(h) > 0)}
    model = np.asarray(model)
    base = np.asarray(base)
    if not (np.isfinite(model).all() and np.isfinite(base).all()):
        return None
    kept: dict[int, np.ndarray] = {}
    if model.ndim == 1 and 0 in hints:
        return ChannelMatch({0: hints[0]}, tuple(base.shape), float("nan"))
    if len(axes) == 1:
        kept[axes[0]], sim = _match_axis(model, base, axes[0])
        return _trusted(ChannelMatch(kept, tuple(base.shape), sim))
    first, second = axes
    if second in hints:
        first, second = second, first
    kept[first] = hints.get(first)
    if kept[first] is None:
        kept[first] = monotone_match(-_distance(_signature(model, first), _signature(base, first)))
    sim = float("nan")
    for _ in range(2):
        kept[second], sim = _match_axis(model, np.take(base, kept[first], axis=first), second)
        kept[first], sim = _match_axis(model, np.take(base, kept[second], axis=second), first)
    return _trusted(ChannelMatch(dict(sorted(kept.items())), tuple(base.shape), sim))


def _trusted(match: ChannelMatch) -> ChannelMatch | None:
    return match if match.trusted else None


def _distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    return np.sqrt(d).astype(np.float32)
