"""Histogram bins on 'nice' steps (1, 2 or 5 × 10^k), as the filter pane draws them."""

from __future__ import annotations

import math

import numpy as np


def nice_edges(lo: float, hi: float, target: int = 20) -> np.ndarray:
    """Bin edges covering [lo, hi] with about ``target`` bins of a round width.

    The last edge is at or above ``hi``, so the maximum is always counted (the reference's
    histogram could drop it, spec §5.5).
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, target)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(lo / step) * step
    stop = math.ceil(hi / step) * step
    if stop <= hi:
        stop += step
    n = max(1, int(round((stop - start) / step)))
    return start + step * np.arange(n + 1)


def counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin of the finite values (values outside the edges are ignored)."""
    finite = values[np.isfinite(values)]
    return np.histogram(finite, bins=edges)[0]
