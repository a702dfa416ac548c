"""Streaming statistics of one tensor against the same tensor of a base model (spec §5.5–5.6).

Why streaming: the reference loads every compared model at once, sums differences in float16
(inf on large layers, then silently shown as 0) and drops values beyond its top histogram edge.
Here a tensor is read in fixed-size chunks (plain file reads for memory-mapped ``.npy`` files,
so the process never maps a whole model), sums are accumulated in float64, and histograms live
on an unbounded grid of round steps that grows to cover every value: nothing is dropped.

Histogram grids are the round-step grids of ``backend.present.bins`` (steps of 1, 2 or 5 × 10^k):
histograms of different tensors or models re-bin exactly onto one grid and add up (parents,
columns).
"""

from __future__ import annotations

import math
import mmap
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from backend.present.bins import Grid, coarser_steps, grid_for_range, rebin, step_ratio

STATS_VERSION = "3"  # bump whenever FIELDS or the binning change: part of every cache key
CHANGE_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, math.inf)
N_CHANGE = 7  # the six change bins of spec §5.6, then "not comparable" (shape changed, new tensor)
NOT_COMPARABLE = 6
CHUNK = 1 << 17  # elements per chunk: the float64 temporaries stay in the CPU cache
WEIGHT_BINS = 30  # target bins of a tensor's own grid (spec §5.5: 30 for weights, 20 activations)
ACTIVATION_BINS = 20
GROWTH_LIMIT = 8  # a model's values may widen the base grid up to this many times its bins

# n, zeros, abs_sum, sq_sum, sum, min, max: the model's own tensor. *_base: the base's tensor.
# *_cmp: over compared elements only (parents mixing comparable and shape-changed children).
FIELDS = (
    "n", "n_base", "zeros", "zeros_base", "zero_both", "zero_model_only", "zero_base_only",
    "abs_sum", "sq_sum", "abs_sum_base", "sq_sum_base",
    "abs_sum_cmp", "sq_sum_cmp", "abs_sum_base_cmp", "sq_sum_base_cmp",
    "diff_abs_sum", "diff_sq_sum", "compared", "nonfinite", "min", "max",
)
F = {name: i for i, name in enumerate(FIELDS)}
MIN_FIELD, MAX_FIELD = F["min"], F["max"]


# --- chunked reading -----------------------------------------------------------------------
@dataclass(frozen=True)
class FileTensor:
    """A tensor stored in a ``.npy`` file, read chunk by chunk (no memory map kept open)."""

    path: str
    offset: int
    dtype: np.dtype
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    @classmethod
    def of(cls, array: np.ndarray) -> FileTensor | np.ndarray:
        """A FileTensor for a whole, C-ordered memory-mapped array; other arrays unchanged."""
        if (isinstance(array, np.memmap) and isinstance(array.base, mmap.mmap) and array.filename
                and array.flags.c_contiguous):
            return cls(str(array.filename), int(array.offset), array.dtype, tuple(array.shape))
        return array


Tensor = np.ndarray | FileTensor


def iter_chunks(array: Tensor, size: int | None = None) -> Iterator[np.ndarray]:
    """Flat chunks of a tensor; a file (or a memory-mapped .npy) is read into one buffer.

    Reading with ``readinto`` rather than slicing a map keeps the resident memory at one chunk:
    touched pages of a map would count against the process until it is closed. The yielded
    buffer is overwritten by the next chunk.
    """
    size = size or CHUNK
    if isinstance(array, np.memmap):
        array = FileTensor.of(array)
    n = int(array.size)
    if isinstance(array, FileTensor):
        buf = np.empty(min(size, max(n, 1)), dtype=array.dtype)
        with open(array.path, "rb", buffering=0) as fh:
            fh.seek(array.offset)
            for start in range(0, n, size):
                part = buf[:min(size, n - start)]
                view = memoryview(part).cast("B")
                got = 0
                while got < view.nbytes:
                    read = fh.readinto(view[got:])
                    if not read:
                        raise OSError(f"{array.path}: file shorter than its header says")
                    got += read
                yield part
        return
    flat = np.asarray(array).reshape(-1)
    for start in range(0, n, size):
        yield flat[start:start + size]


def read_whole(array: Tensor) -> np.ndarray:
    """A tensor in memory, in its shape (structured-pruning matching needs all of it at once)."""
    if isinstance(array, FileTensor):
        out = np.empty(array.shape, dtype=array.dtype)
        flat = out.reshape(-1)
        start = 0
        for chunk in iter_chunks(array):
            flat[start:start + chunk.size] = chunk
            start += chunk.size
        return out
    return np.asarray(array)


def _as_float(chunk: np.ndarray) -> np.ndarray:
    if chunk.dtype in (np.float32, np.float64):
        return chunk
    return chunk.astype(np.float64)


# --- the streaming kernel ------------------------------------------------------------------
class _Work:
    """Scratch buffers reused for every chunk: fresh large arrays would page-fault each time."""

    def __init__(self, size: int) -> None:
        self.x = np.empty(size)
        self.q = np.empty(size)
        self.d = np.empty(size)
        self.ab = np.empty(size)
        self.idx = np.empty(size, dtype=np.intp)
        self.mask = np.empty(size, dtype=bool)


class _Histogram:
    """(value bin × change bin) counts on a grid that grows, and coarsens past a limit."""

    def __init__(self, grid: Grid, limit: int) -> None:
        self.grid = grid
        self.limit = max(limit, grid.n)
        self.counts = np.zeros((grid.n, N_CHANGE), dtype=np.int64)
        self.k = 1  # incoming indices are on the original step; divided by k after coarsening
        self.step0 = grid.step

    def add(self, q: np.ndarray, q_lo: int, q_hi: int, change: np.ndarray | int, idx: np.ndarray) -> None:
        """Count values with absolute bins ``q`` (floored, min and max given); ``q`` is consumed."""
        lo, hi = q_lo // self.k, q_hi // self.k
        g = self.grid
        if lo < g.offset or hi >= g.offset + g.n:
            self._grow(min(lo, g.offset), max(hi, g.offset + g.n - 1))
        if self.k > 1:
            np.floor_divide(q, self.k, out=q)
        q -= self.grid.offset
        q *= N_CHANGE
        q += change
        np.copyto(idx, q, casting="unsafe")
        self.counts += np.bincount(idx, minlength=self.grid.n * N_CHANGE).reshape(self.grid.n, N_CHANGE)

    def _grow(self, lo: int, hi: int) -> None:
        g = self.grid
        if hi - lo + 1 > self.limit:
            for cand in coarser_steps(g.key):
                k = step_ratio(g.key, cand)
                if (hi // k) - (lo // k) + 1 <= self.limit:
                    break
            new = Grid(cand[0], cand[1], g.offset // k, (g.offset + g.n - 1) // k - g.offset // k + 1)
            self.counts = rebin(self.counts, g, new)
            self.grid, self.k = new, self.k * k
            lo, hi = lo // k, hi // k
            g = new
        new_lo, new_hi = min(lo, g.offset), max(hi, g.offset + g.n - 1)
        grown = np.zeros((new_hi - new_lo + 1, N_CHANGE), dtype=np.int64)
        grown[g.offset - new_lo:g.offset - new_lo + g.n] = self.counts
        self.counts = grown
        self.grid = Grid(g.mant, g.exp, new_lo, new_hi - new_lo + 1)


@dataclass
class TensorResult:
    """Statistics of one tensor: ``fields`` in FIELDS order, and its stacked histogram."""

    fields: np.ndarray
    grid: Grid
    counts: np.ndarray  # (grid.n, N_CHANGE) int64


def tensor_stats(model: Tensor, base: Tensor | None, grid: Grid | None, *, alone: bool = False,
                 base_finite: bool | None = None, base_totals: np.ndarray | None = None,
                 target: int = WEIGHT_BINS, growth: int = GROWTH_LIMIT) -> TensorResult:
    """Stream one tensor of a model against the same tensor of the base.

    ``base`` None computes the model's own statistics only: the base's "self" pass (values in
    change bin 0) or, with ``alone``, a tensor that cannot be compared (absent in the base or
    another shape; values in the NOT_COMPARABLE bin). ``grid`` is the base tensor's grid; it
    grows (same step) to cover the model's values. Without one, the step comes from the first
    chunk's range (about ``target`` bins), so the base's own pass reads it once. Non-finite
    elements (in either tensor) are counted in ``nonfinite`` and left out of every other sum.
    ``base_totals`` (the base's own FIELDS row, when it is all finite) saves recounting the
    base's zeros and sums chunk by chunk.
    """
    f = np.zeros(len(FIELDS), dtype=np.float64)
    f[MIN_FIELD], f[MAX_FIELD] = math.inf, -math.inf
    seed = None
    if grid is not None and grid.n == 1:  # a constant base says nothing about a useful step
        seed, grid = grid.offset * grid.step, None
    hist = _Histogram(grid, max(grid.n, target) * growth) if grid is not None else None
    fill = NOT_COMPARABLE if alone else 0
    totals = base is not None and base_finite is True and base_totals is not None
    dropped = np.zeros(3)  # base zeros, |b| and b² of the chunks filtered for non-finite values
    work = _Work(max(1, min(CHUNK, int(model.size))))
    chunks_b = iter_chunks(base) if base is not None else None
    for m in iter_chunks(model):
        m = _as_float(m)
        b = _as_float(next(chunks_b)) if chunks_b is not None else None
        size = m.size
        f[F["n"]] += size
        if b is not None:
            f[F["n_base"]] += size
        if size == 0:
            continue
        lo, hi = float(m.min()), float(m.max())
        finite = math.isfinite(lo) and math.isfinite(hi)
        if b is not None and finite and base_finite is not True:
            finite = math.isfinite(float(b.min())) and math.isfinite(float(b.max()))
        if not finite:
            if totals:
                b64 = b.astype(np.float64)
                dropped += (b64.size - np.count_nonzero(b64), np.abs(b64).sum(), np.dot(b64, b64))
            keep = np.isfinite(m) if b is None else np.isfinite(m) & np.isfinite(b)
            m = m[keep]
            b = b[keep] if b is not None else None
            f[F["nonfinite"]] += size - m.size
            if m.size == 0:
                continue
            lo, hi = float(m.min()), float(m.max())
        if hist is None:
            span = (lo, hi) if seed is None else (min(lo, seed), max(hi, seed))
            grid = grid_for_range(span[0], span[1], target)
            hist = _Histogram(grid, max(grid.n, target) * growth)
        step = hist.step0
        k = m.size
        f[MIN_FIELD] = min(f[MIN_FIELD], lo)
        f[MAX_FIELD] = max(f[MAX_FIELD], hi)
        zeros = k - int(np.count_nonzero(m))
        f[F["zeros"]] += zeros
        x, q = work.x[:k], work.q[:k]
        np.copyto(x, m)  # a float64 copy: squares never overflow, sums carry 53 bits
        np.divide(x, step, out=q)
        np.floor(q, out=q)
        sq = float(np.einsum("i,i->", x, x))
        change = fill
        if b is not None:
            change = _compare_chunk(x, b, k, zeros, f, work, base_sums=not totals or not finite)
        l1 = float(np.abs(x, out=x).sum())
        f[F["abs_sum"]] += l1
        f[F["sq_sum"]] += sq
        if b is not None:
            f[F["abs_sum_cmp"]] += l1
            f[F["sq_sum_cmp"]] += sq
        hist.add(q, math.floor(lo / step), math.floor(hi / step), change, work.idx[:k])
    if totals:
        zeros_b = base_totals[F["zeros"]] - dropped[0]
        abs_b = base_totals[F["abs_sum"]] - dropped[1]
        sq_b = base_totals[F["sq_sum"]] - dropped[2]
        f[F["zeros_base"]] += zeros_b
        for name, value in (("abs_sum_base", abs_b), ("abs_sum_base_cmp", abs_b),
                            ("sq_sum_base", sq_b), ("sq_sum_base_cmp", sq_b)):
            f[F[name]] += value
    if base is not None:
        f[F["zero_base_only"]] = f[F["zeros_base"]] - f[F["zero_both"]]
    if not math.isfinite(f[MIN_FIELD]):
        f[MIN_FIELD] = f[MAX_FIELD] = 0.0
    if hist is None:  # empty, or no finite value
        hist = _Histogram(grid or Grid(1, 0, 0, 1), 1)
    return TensorResult(f, hist.grid, hist.counts)


def _compare_chunk(x: np.ndarray, b: np.ndarray, k: int, zeros: int, f: np.ndarray, work: _Work,
                   base_sums: bool = True) -> np.ndarray:
    """Zero masks, float64 difference sums and the change bin (as a float) of a chunk's elements."""
    both = k - int(np.count_nonzero(np.logical_or(x, b, out=work.mask[:k])))
    f[F["compared"]] += k
    f[F["zero_both"]] += both
    f[F["zero_model_only"]] += zeros - both
    d, ab = work.d[:k], work.ab[:k]
    np.subtract(x, b, out=d)  # float64: exact for float32 inputs
    f[F["diff_sq_sum"]] += np.einsum("i,i->", d, d)
    np.abs(d, out=d)
    f[F["diff_abs_sum"]] += d.sum()
    np.abs(b, out=ab)
    if base_sums:
        abs_b, sq_b = ab.sum(), np.einsum("i,i->", ab, ab)
        f[F["zeros_base"]] += k - int(np.count_nonzero(b))
        f[F["abs_sum_base"]] += abs_b
        f[F["sq_sum_base"]] += sq_b
        f[F["abs_sum_base_cmp"]] += abs_b
        f[F["sq_sum_base_cmp"]] += sq_b
    # change bin = floor(5·|d|/|b|) capped at 5: inf (base 0, model not) -> 5, nan (0/0) -> 0.
    # The floor happens when the histogram index is cast to an integer (it is non-negative).
    d *= 5.0
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(d, ab, out=d)
    np.fmax(d, 0.0, out=d)
    return np.minimum(d, 5.0, out=d)
