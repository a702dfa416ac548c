"""Histogram bins on round steps (1, 2 or 5 × 10^k): the one bin grid of every histogram.

Why one module: the Overview's filter pane, the Behaviors histograms and the Layers statistics
all bin values on the same kind of grid. Bin ``i`` covers ``[i·step, (i+1)·step)`` for integer
``i``; a value's bin is ``floor(value / step)`` (:func:`bin_index`), so the top edge is always
above the maximum and nothing is dropped (the reference's histogram could drop it, spec §5.5).
Any two round steps have a common multiple of the same form, so histograms of different
tensors or models re-bin exactly onto one grid and add up (:func:`rebin`, :func:`common_grid`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


# --- round steps, as (mantissa, exponent) ---------------------------------------------------------
def nice_step(raw: float) -> tuple[int, int]:
    """The smallest step m × 10^e ≥ raw with m in (1, 2, 5), as (m, e)."""
    if not (raw > 0 and math.isfinite(raw)):
        raw = 1.0
    exp = math.floor(math.log10(raw))
    for mant in (1, 2, 5, 10):
        if mant * 10.0 ** exp >= raw * (1 - 1e-12):
            return (1, exp + 1) if mant == 10 else (mant, exp)
    return 1, exp + 1


def step_value(mant: int, exp: int) -> float:
    """m × 10^e as the nearest float (a division for negative e: 5 / 100, not 5 × 0.01)."""
    return mant * 10.0 ** exp if exp >= 0 else mant / 10.0 ** -exp


def step_ratio(fine: tuple[int, int], coarse: tuple[int, int]) -> int | None:
    """k when coarse = k × fine exactly (k ≥ 1), else None."""
    (m1, e1), (m2, e2) = fine, coarse
    if e2 >= e1:
        num, den = m2 * 10 ** (e2 - e1), m1
    else:
        num, den = m2, m1 * 10 ** (e1 - e2)
    return num // den if num % den == 0 and num >= den else None


def step_lcm(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """The least common multiple of two round steps, again a round step."""
    low = min(a[1], b[1])
    x, y = a[0] * 10 ** (a[1] - low), b[0] * 10 ** (b[1] - low)
    value = x * y // math.gcd(x, y)
    exp = low
    while value % 10 == 0:
        value //= 10
        exp += 1
    return value, exp


def coarser_steps(step: tuple[int, int]) -> Iterator[tuple[int, int]]:
    """Round steps above ``step`` that are whole multiples of it, ascending."""
    mant, exp = step
    e = exp
    while True:
        for m in (1, 2, 5):
            if (e, m) > (exp, mant) and step_ratio(step, (m, e)):
                yield m, e
        e += 1


# --- grids ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grid:
    """Bins ``offset .. offset+n-1`` of width ``mant × 10^exp``; edges at integer multiples."""

    mant: int
    exp: int
    offset: int
    n: int

    @property
    def step(self) -> float:
        """The bin width as a float."""
        return step_value(self.mant, self.exp)

    @property
    def key(self) -> tuple[int, int]:
        """The step as (mantissa, exponent)."""
        return self.mant, self.exp

    def edges(self) -> np.ndarray:
        """n + 1 bin edges (the last one is above the maximum value)."""
        return (self.offset + np.arange(self.n + 1, dtype=np.float64)) * self.step

    def as_row(self) -> list[int]:
        """(mant, exp, offset, n) for array storage."""
        return [self.mant, self.exp, self.offset, self.n]

    @classmethod
    def from_row(cls, row) -> Grid:
        """Inverse of ``as_row``."""
        return cls(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


EMPTY_GRID = Grid(1, -1, 0, 1)  # what a histogram of no values is drawn on


def bin_index(values: np.ndarray, step: float) -> np.ndarray:
    """floor(value / step) in float64: the absolute bin of each value (the kernel's rule)."""
    q = np.divide(np.asarray(values, dtype=np.float64), step)
    return np.floor(q, out=q)


def grid_for_range(lo: float, hi: float, target: int) -> Grid:
    """A grid of about ``target`` round bins covering [lo, hi] (one bin for a constant)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
        lo, hi = 0.0, 1.0
    span = hi - lo
    if span == 0:  # a constant (BatchNorm gains at 1, biases at 0): one bin of a sensible width
        span = abs(lo) or 1.0
    mant, exp = nice_step(span / target)
    step = step_value(mant, exp)
    first = int(bin_index(np.array([lo]), step)[0])
    last = int(bin_index(np.array([hi]), step)[0])
    return Grid(mant, exp, first, last - first + 1)


def rebin(counts: np.ndarray, src: Grid, dst: Grid) -> np.ndarray:
    """Counts of ``src`` (first axis = bins) moved onto ``dst``; dst's step is a multiple."""
    k = step_ratio(src.key, dst.key)
    if k is None:
        raise ValueError(f"step {dst.key} is not a multiple of {src.key}")
    target = (src.offset + np.arange(src.n)) // k - dst.offset
    if target.size and (target[0] < 0 or target[-1] >= dst.n):
        raise ValueError("destination grid does not cover the source grid")
    out = np.zeros((dst.n,) + counts.shape[1:], dtype=counts.dtype)
    np.add.at(out, target, counts)
    return out


def common_grid(grids: Sequence[Grid] | np.ndarray, max_bins: int | None = None) -> Grid:
    """One grid every given grid re-bins onto exactly; coarsened to ``max_bins`` if given.

    ``grids`` may also be an array of ``Grid.as_row`` rows (mant, exp, offset, n): the Layers
    page merges thousands of tensors' grids per cell, so the extent is computed vectorised.
    """
    rows = np.asarray([g.as_row() for g in grids] if not isinstance(grids, np.ndarray) else grids,
                      dtype=np.int64).reshape(-1, 4)
    if rows.shape[0] == 0:
        return EMPTY_GRID
    keys, code = np.unique(rows[:, :2], axis=0, return_inverse=True)
    steps = [(int(m), int(e)) for m, e in keys]
    step = steps[0]
    for s in steps[1:]:
        step = step_lcm(step, s)
    first, last = rows[:, 2], rows[:, 2] + rows[:, 3] - 1

    def extent(st: tuple[int, int]) -> tuple[int, int]:
        k = np.asarray([step_ratio(s, st) for s in steps], dtype=np.int64)[code.reshape(-1)]
        return int((first // k).min()), int((last // k).max())

    lo, hi = extent(step)
    if max_bins is not None:
        candidates = coarser_steps(step)
        while hi - lo + 1 > max_bins:
            step = next(candidates)
            lo, hi = extent(step)
    return Grid(step[0], step[1], lo, hi - lo + 1)


# --- edges and counts of plain value lists (filter pane, Behaviors) -----------------------------
def nice_edges(lo: float, hi: float, target: int = 20) -> np.ndarray:
    """Bin edges covering [lo, hi] with about ``target`` bins of a round width.

    The edges of :func:`grid_for_range`: the last edge is above ``hi``, so the maximum is
    always counted.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi <= lo:
        hi = lo + 1.0
    grid = grid_for_range(lo, hi, max(1, target))
    edges = grid.edges()
    below, above = int(edges[0] > lo), int(edges[-1] < hi)
    if below or above:  # lo/step underflowed to -0.0 (a subnormal lo): one more bin, nothing dropped
        edges = Grid(grid.mant, grid.exp, grid.offset - below, grid.n + below + above).edges()
    return edges


def counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin of the finite values (values outside the edges are ignored)."""
    finite = values[np.isfinite(values)]
    return np.histogram(finite, bins=edges)[0]
