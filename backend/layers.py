"""Layer statistics of several models against a base: sparsity, weights and activations.

Why: the Layers page (spec §1.10) shows, module by module, what compression zeroed or changed.
The reference holds every compared model in memory, compares weights only when shapes match
and sums in float16 (spec §6). Here each model is streamed tensor by tensor against the base
(``backend.layers_stats``), one (model, base) pair at a time, and the per-pair statistics are
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
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from backend.cache import result_key
from backend.layers_stats import (
    ACTIVATION_BINS,
    FIELDS,
    MAX_FIELD,
    MIN_FIELD,
    N_CHANGE,
    NOT_COMPARABLE,
    STATS_VERSION,
    WEIGHT_BINS,
    F,
    FileTensor,
    Grid,
    coarser_steps,
    step_lcm,
    step_ratio,
    tensor_stats,
)
from backend.layers_tree import Tree, build_tree, subtree_reduce

if TYPE_CHECKING:
    from backend.inference.engine import Engine

TENSORS = ("sparsity", "weights", "activations")
TENSOR_LABELS = {"sparsity": "Sparsity", "weights": "Weight changes", "activations": "Activations"}
SOURCES = {"sparsity": "parameters", "weights": "parameters", "activations": "activations"}
DISPLAY_BINS = 30
DIVERGENCE_THRESHOLD = 0.01  # relative L2 distance above which an activation "diverges"

Progress = Callable[[float, float, str], None]


def _quiet(_done: float, _total: float, _message: str) -> None:
    return None


# --- per-pair statistics ---------------------------------------------------------------------
@dataclass
class Stats:
    """Per-tensor statistics of one model against a base (the base alone for its own column)."""

    names: list[str]
    fields: np.ndarray  # (T, len(FIELDS)) float64
    grids: np.ndarray  # (T, 4) int64: mant, exp, offset, n
    starts: np.ndarray  # (T + 1,) row offsets of each tensor's bins in counts
    counts: np.ndarray  # (sum of n, N_CHANGE) int64
    shapes: list[list]  # per tensor: [model shape or None, base shape or None]
    index: dict[str, int] = field(default_factory=dict)
    _bins: _Bins | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.index = {name: i for i, name in enumerate(self.names)}

    def grid(self, i: int) -> Grid:
        """The histogram grid of tensor i."""
        return Grid.from_row(self.grids[i])

    def hist(self, i: int) -> np.ndarray:
        """(bins, N_CHANGE) counts of tensor i."""
        return self.counts[self.starts[i]:self.starts[i + 1]]

    def bins(self) -> _Bins:
        """Per-bin lookup arrays (built once), for re-binning many tensors at a time."""
        if self._bins is None:
            self._bins = _Bins(self)
        return self._bins

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays stored in the cache (no pickles: names as a unicode array)."""
        return {"names": np.asarray(self.names, dtype=str) if self.names else np.zeros(0, dtype="<U1"),
                "fields": self.fields, "grids": self.grids, "starts": self.starts, "counts": self.counts}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], meta: dict) -> Stats:
        """Inverse of ``to_arrays`` (+ the shapes kept in the entry's metadata)."""
        return cls([str(n) for n in arrays["names"]], np.asarray(arrays["fields"]),
                   np.asarray(arrays["grids"]), np.asarray(arrays["starts"]),
                   np.asarray(arrays["counts"]), list(meta.get("shapes", [])))

    @classmethod
    def assemble(cls, names: list[str], results: list, shapes: list[list]) -> Stats:
        """Stack per-tensor results (TensorResult) into one Stats."""
        sizes = [r.grid.n for r in results]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        counts = (np.concatenate([r.counts for r in results]) if results
                  else np.zeros((0, N_CHANGE), dtype=np.int64))
        fields = (np.stack([r.fields for r in results]) if results
                  else np.zeros((0, len(FIELDS))))
        grids = (np.asarray([r.grid.as_row() for r in results], dtype=np.int64) if results
                 else np.zeros((0, 4), dtype=np.int64))
        return cls(list(names), fields, grids, starts, counts, shapes)


class _Bins:
    """For every histogram row of a Stats: its tensor and absolute bin; per tensor its step."""

    def __init__(self, stats: Stats) -> None:
        sizes = stats.grids[:, 3]
        self.tensor = np.repeat(np.arange(len(sizes)), sizes)
        within = np.arange(len(self.tensor)) - stats.starts[self.tensor]
        self.absolute = stats.grids[self.tensor, 2] + within
        keys = [(int(a), int(b)) for a, b in stats.grids[:, :2]]
        self.steps = sorted(set(keys))
        lookup = {s: i for i, s in enumerate(self.steps)}
        self.code = np.asarray([lookup[k] for k in keys], dtype=np.int64)
        totals = np.add.reduceat(stats.counts.sum(axis=1), stats.starts[:-1]) if len(sizes) else np.zeros(0)
        self.nonempty = np.asarray(totals > 0) & (sizes > 0)
        self._ratios: dict[tuple[int, int], np.ndarray] = {}

    def ratios(self, coarse: tuple[int, int]) -> np.ndarray:
        """coarse step / each distinct step (all whole numbers), indexed by step code."""
        if coarse not in self._ratios:
            self._ratios[coarse] = np.asarray([step_ratio(s, coarse) or 1 for s in self.steps],
                                              dtype=np.int64)
        return self._ratios[coarse]


def _shape(a) -> list[int]:
    return [int(s) for s in a.shape]


def self_stats(arrays: Mapping[str, np.ndarray], target: int = WEIGHT_BINS,
               progress: Progress = _quiet) -> Stats:
    """The base's own column: each tensor streamed once, as if compared with itself."""
    names = list(arrays)
    total = sum(int(arrays[n].size) for n in names) or 1
    done, results, shapes = 0, [], []
    for name in names:
        source = FileTensor.of(arrays[name])
        r = tensor_stats(source, None, None, target=target)
        f = r.fields
        for own, base in (("n", "n_base"), ("zeros", "zeros_base"), ("zeros", "zero_both"),
                          ("abs_sum", "abs_sum_base"), ("sq_sum", "sq_sum_base"),
                          ("abs_sum", "abs_sum_cmp"), ("sq_sum", "sq_sum_cmp"),
                          ("abs_sum", "abs_sum_base_cmp"), ("sq_sum", "sq_sum_base_cmp")):
            f[F[base]] = f[F[own]]
        f[F["compared"]] = f[F["n"]] - f[F["nonfinite"]]
        results.append(r)
        shapes.append([_shape(source), _shape(source)])
        done += int(source.size)
        progress(done, total, name)
    return Stats.assemble(names, results, shapes)


def pair_stats(model_arrays: Mapping[str, np.ndarray], base_arrays: Mapping[str, np.ndarray],
               base_self: Stats, target: int = WEIGHT_BINS, progress: Progress = _quiet) -> Stats:
    """One model against the base, tensor by tensor (base order, then the model's new tensors).

    Same shape: elementwise comparison on the base tensor's grid. Another shape, or a tensor
    the base lacks: the model's own statistics, values in the NOT_COMPARABLE change bin, with
    the base's totals copied from ``base_self`` so parents still add up.
    """
    names = list(base_arrays) + [n for n in model_arrays if n not in base_arrays]
    total = sum(int(model_arrays[n].size) for n in names if n in model_arrays) or 1
    done, results, shapes = 0, [], []
    for name in names:
        model = FileTensor.of(model_arrays[name]) if name in model_arrays else None
        base = FileTensor.of(base_arrays[name]) if name in base_arrays else None
        bi = base_self.index.get(name)
        grid = base_self.grid(bi) if bi is not None else None
        if model is None:
            r = tensor_stats(np.zeros(0, dtype=np.float32), None, grid, target=target)
        elif base is not None and tuple(model.shape) == tuple(base.shape):
            finite = bool(base_self.fields[bi, F["nonfinite"]] == 0) if bi is not None else None
            r = tensor_stats(model, base, grid, base_finite=finite, target=target,
                             base_totals=base_self.fields[bi] if bi is not None else None)
        else:
            r = tensor_stats(model, None, grid, alone=True, target=target)
        if bi is not None and (model is None or r.fields[F["compared"]] == 0):
            for key in ("n_base", "zeros_base", "abs_sum_base", "sq_sum_base"):
                r.fields[F[key]] = base_self.fields[bi, F[key]]
        results.append(r)
        shapes.append([_shape(model) if model is not None else None,
                       _shape(base) if base is not None else None])
        if model is not None:
            done += int(model.size)
            progress(done, total, name)
    return Stats.assemble(names, results, shapes)


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


# --- the comparison as the page reads it -----------------------------------------------------
def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(num, dtype=np.float64) / den
    return np.where(den > 0, out, np.nan)


class LayerView:
    """The compared models on one tree: per-node sums, sort keys, cells and histograms.

    Parameters: a node's numbers are the sums over the tensors below it (histograms re-binned
    onto one grid and added). Activations: a node shows its own output only, as in the
    reference (a container's output already contains its children's work).
    """

    def __init__(self, source: str, base: str, models: list[str], stats: dict[str, Stats]) -> None:
        self.source, self.base, self.models, self.stats = source, base, models, stats
        self._changes: dict[tuple[str, str], np.ndarray] = {}
        names: list[str] = []
        seen: set[str] = set()
        for s in stats.values():
            for n in s.names:
                if n not in seen:
                    seen.add(n)
                    names.append(n)
        self.tree: Tree = build_tree(names)
        n = len(self.tree)
        self.row_of: dict[str, np.ndarray] = {}
        self.nodes: dict[str, np.ndarray] = {}
        for model, s in stats.items():
            rows = np.full(n, -1, dtype=np.int64)
            own = np.zeros((n, len(FIELDS)))
            own[:, MIN_FIELD], own[:, MAX_FIELD] = np.inf, -np.inf
            for i, name in enumerate(s.names):
                node = self.tree.index[name]
                rows[node] = i
                own[node] = s.fields[i]
            self.row_of[model] = rows
            if source == "parameters":
                sums = subtree_reduce(self.tree, own, np.add, 0.0)
                sums[:, MIN_FIELD] = subtree_reduce(self.tree, own[:, [MIN_FIELD]], np.minimum, np.inf)[:, 0]
                sums[:, MAX_FIELD] = subtree_reduce(self.tree, own[:, [MAX_FIELD]], np.maximum, -np.inf)[:, 0]
            else:
                sums = own
            sums[~np.isfinite(sums[:, MIN_FIELD]), MIN_FIELD] = 0.0
            sums[~np.isfinite(sums[:, MAX_FIELD]), MAX_FIELD] = 0.0
            self.nodes[model] = sums
        base_n = self.nodes[base][:, F["n"]]
        if source == "parameters":
            self.has_data = base_n > 0
            for model in models:
                self.has_data |= self.nodes[model][:, F["n"]] > 0
            self.rankable = np.asarray([bool(c) for c in self.tree.children])  # modules, not tensors
        else:
            self.has_data = self.tree.data.copy()
            self.rankable = self.tree.data.copy()

    # numbers per node -------------------------------------------------------------------------
    def field(self, model: str, name: str) -> np.ndarray:
        """One field of FIELDS for every node."""
        return self.nodes[model][:, F[name]]

    def base_value(self, tensor: str) -> np.ndarray:
        """The base column's sort key: zero fraction, or mean |value| (spec §1.10)."""
        v = self.nodes[self.base]
        if tensor == "sparsity":
            return _safe_div(v[:, F["zeros"]], v[:, F["n"]])
        return _safe_div(v[:, F["abs_sum"]], v[:, F["n"]])

    def change(self, model: str, tensor: str) -> np.ndarray:
        """A model column's sort key and heatmap value, per node (NaN where undefined).

        sparsity: change in the zero fraction (model − base), in [-1, 1];
        weights: Σ|w − w_base| / max(Σ|w|, Σ|w_base|) over compared values, in [0, 2]: the
        share of the layer's L1 mass that moved, independent of the layer's scale;
        activations: ‖a − a_base‖ / max(‖a‖, ‖a_base‖), the relative L2 divergence, in [0, 2].
        """
        memo = self._changes.get((model, tensor))
        if memo is None:
            memo = self._changes[(model, tensor)] = self._change(model, tensor)
        return memo

    def _change(self, model: str, tensor: str) -> np.ndarray:
        if model == self.base:
            return self.base_value(tensor)
        v = self.nodes[model]
        if tensor == "sparsity":
            model_frac = _safe_div(v[:, F["zeros"]], v[:, F["n"]])
            return model_frac - _safe_div(v[:, F["zeros_base"]], v[:, F["n_base"]])
        compared = v[:, F["compared"]] > 0
        if tensor == "weights":
            den = np.maximum(v[:, F["abs_sum_cmp"]], v[:, F["abs_sum_base_cmp"]])
            out = _safe_div(v[:, F["diff_abs_sum"]], den)
            out[compared & (den == 0)] = 0.0  # both all zero: nothing moved
        else:
            den = np.sqrt(np.maximum(v[:, F["sq_sum_cmp"]], v[:, F["sq_sum_base_cmp"]]))
            out = _safe_div(np.sqrt(v[:, F["diff_sq_sum"]]), den)
            out[compared & (den == 0)] = 0.0
        out[~compared] = np.nan
        return out

    def cell(self, model: str, node: int) -> dict[str, float]:
        """Every field of one node for one model, as plain floats."""
        return {name: float(x) for name, x in zip(FIELDS, self.nodes[model][node], strict=True)}

    def shapes(self, model: str, node: int) -> tuple[list | None, list | None] | None:
        """(model shape, base shape) of a tensor node, None for a module."""
        row = self.row_of[model][node]
        if row < 0 or self.tree.children[node]:
            return None
        pair = self.stats[model].shapes[row] if row < len(self.stats[model].shapes) else [None, None]
        return pair[0], pair[1]

    def not_comparable(self, model: str, node: int) -> int:
        """Values of the node that could not be compared with the base (shape or absence)."""
        v = self.nodes[model][node]
        return int(v[F["n"]] - v[F["compared"]] - v[F["nonfinite"]])

    # histograms -----------------------------------------------------------------------------
    def _tensor_rows(self, model: str, node: int) -> np.ndarray:
        rows = self.row_of[model]
        picked = rows[self.tree.data_under(node)] if self.source == "parameters" else rows[[node]]
        picked = picked[picked >= 0]
        return picked[self.stats[model].bins().nonempty[picked]]

    def histograms(self, node: int, models: list[str] | None = None,
                   max_bins: int = DISPLAY_BINS) -> tuple[Grid, dict[str, np.ndarray]]:
        """Counts (bins × N_CHANGE) of every model for one node, on one shared grid.

        Vectorised over tensors: a container with thousands of tensors costs a few array
        operations per model, not one re-binning per tensor.
        """
        models = models or self.models
        parts = {m: self._tensor_rows(m, node) for m in models}
        steps: set[tuple[int, int]] = set()
        for m in models:
            b = self.stats[m].bins()
            steps.update(b.steps[c] for c in np.unique(b.code[parts[m]]))
        if not steps:
            return Grid(1, -1, 0, 1), {m: np.zeros((1, N_CHANGE), dtype=np.int64) for m in models}
        step = None
        for s in steps:
            step = s if step is None else step_lcm(step, s)

        def extent(st: tuple[int, int]) -> tuple[int, int]:
            lo, hi = None, None
            for m in models:
                rows = parts[m]
                if rows.size == 0:
                    continue
                b = self.stats[m].bins()
                k = b.ratios(st)[b.code[rows]]
                g = self.stats[m].grids[rows]
                first = int((g[:, 2] // k).min())
                last = int(((g[:, 2] + g[:, 3] - 1) // k).max())
                lo = first if lo is None else min(lo, first)
                hi = last if hi is None else max(hi, last)
            return lo, hi

        lo, hi = extent(step)
        candidates = coarser_steps(step)
        while hi - lo + 1 > max_bins:
            step = next(candidates)
            lo, hi = extent(step)
        grid = Grid(step[0], step[1], lo, hi - lo + 1)
        out = {}
        for m in models:
            s, rows = self.stats[m], parts[m]
            total = np.zeros((grid.n, N_CHANGE), dtype=np.int64)
            if rows.size:
                b = s.bins()
                mask = np.isin(b.tensor, rows)
                k = b.ratios(grid.key)[b.code[b.tensor[mask]]]
                np.add.at(total, b.absolute[mask] // k - grid.offset, s.counts[mask])
            out[m] = total
        return grid, out

    def distributions(self, node: int, max_bins: int = 40) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Edges and the fraction of values per bin of every model (change bins summed)."""
        grid, hists = self.histograms(node, max_bins=max_bins)
        fractions = {}
        for m, counts in hists.items():
            col = counts.sum(axis=1).astype(np.float64)
            total = col.sum()
            fractions[m] = col / total if total else col
        return grid.edges(), fractions

    # heatmap --------------------------------------------------------------------------------
    def heatmap(self, tensor: str, nodes: list[int]) -> np.ndarray:
        """(len(nodes), models except the base) values of ``change``, NaN where undefined."""
        others = [m for m in self.models if m != self.base]
        if not nodes or not others:
            return np.zeros((len(nodes), len(others)))
        return np.stack([self.change(m, tensor)[nodes] for m in others], axis=1)


# --- per-instance drill-down -----------------------------------------------------------------
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


__all__ = ["DISPLAY_BINS", "DIVERGENCE_THRESHOLD", "FIELDS", "N_CHANGE", "NOT_COMPARABLE", "SOURCES",
           "TENSORS", "TENSOR_LABELS", "InstanceDivergence", "LayerView", "Stats", "activation_distance",
           "compute", "compute_instance", "instance_divergence", "instance_ready", "load_instance",
           "load_view", "pair_stats", "ready", "self_stats", "stats_key"]
