"""Behaviors page maths on the server: comparisons against a base, then class means, brushes,
sorting and paging over them, so the browser only ever receives one page of rows.

Speed: one pass over blocks of rows (2 MiB buffers) per output; each block is read once from
the memory-mapped cache files and compared for every model, with torch's vectorised kernels,
blocks spread over as many Python threads as torch would use (see ``_block_workers``).

Precision: every per-instance vector is float64. Each block is converted to float64 *before*
any arithmetic, so results match a plain float64 numpy pass of the reference's formulas (spec
§2.4) to ~1e-12 relative. Float32 kernels were 3x faster but lose KL divergence between
near-identical models (the log ratio is ~1e-7 accurate in float32, i.e. 1e-4 relative error on
a KL of 1e-3), so they are not used. KL is Σ b·ln(b+ε) − Σ b·ln(m+ε), the first sum once per
base block; the split costs ~1e-15 absolute, far below any KL worth showing.
"""

from __future__ import annotations

import csv
import io
import math
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from backend.histogram import nice_edges
from backend.inference.protocol import ComparisonSpec
from backend.significance import accuracy_delta_ci, mcnemar_p

EPS = 1e-6
CORRECTNESS = "Correctness"
CORRECTNESS_OPTIONS = {"relative": True, "format": ".1%"}
CHUNK_ELEMENTS = 1 << 18  # elements per float64 work buffer (2 MiB): stays in cache, no big allocations
TOP = 5
HIST_BINS = 20
_LN2 = math.log(2.0)

Progress = Callable[[int, int, str], None]

# per kind: which per-instance reductions of (model m, base b) it needs
_NEEDS: dict[str, frozenset[str]] = {
    "difference": frozenset({"sum_diff", "sum_m"}),
    "abs_difference": frozenset({"sum_diff", "sum_m"}),
    "difference_argmax": frozenset({"at_bmax"}),
    "abs_difference_argmax": frozenset({"at_bmax"}),
    "ratio": frozenset({"sum_ratio", "sum_m"}),
    "ratio_argmax": frozenset({"at_bmax"}),
    "mse": frozenset({"sum_sq"}),
    "kl_divergence": frozenset({"kl"}),
}


# --- the reference's small helpers (pages/behaviors.py uses model_summary) --------------------------
def kl_divergence(base: np.ndarray, model: np.ndarray) -> np.ndarray:
    """Per-instance KL(base ‖ model) in bits, clipped at 0 (spec §2.4's kl_divergence)."""
    b, m = base.astype(np.float64), model.astype(np.float64)
    return np.maximum((b * np.log2((b + EPS) / (m + EPS))).sum(axis=1), 0.0)


def model_summary(labels: np.ndarray, probs: dict[str, np.ndarray], base: str) -> list[dict]:
    """Per model: accuracy, agreement with the base's predictions, mean KL to the base."""
    base_pred = probs[base].argmax(axis=1)
    rows = []
    for model_id, p in probs.items():
        pred = p.argmax(axis=1)
        rows.append({
            "model": model_id,
            "accuracy": float((pred == labels).mean()),
            "agreement": float((pred == base_pred).mean()),
            "flips": int((pred != base_pred).sum()),
            "kl": float(kl_divergence(probs[base], p).mean()),
        })
    return rows


# --- the chunked reduction -----------------------------------------------------------------------
def _rows(a: np.ndarray) -> np.ndarray:
    """(n, features) view of an output: 1-D becomes (n, 1), trailing axes are flattened."""
    a = np.asarray(a) if not isinstance(a, np.ndarray) else a
    return a.reshape(len(a), -1) if a.ndim != 2 else a


def _tensor(chunk: np.ndarray):
    """A torch view of a block (zero-copy for native float32/float64, memory-mapped rows included)."""
    import torch

    if chunk.dtype not in (np.float32, np.float64) or not chunk.dtype.isnative or min(chunk.strides) < 0:
        chunk = np.ascontiguousarray(chunk, dtype=np.float64)
    if chunk.flags.writeable:
        return torch.from_numpy(chunk)
    with warnings.catch_warnings():  # read-only memory maps: torch warns although we never write
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(chunk)


class _Blocks:
    """The reductions of one block of rows, with this worker's own float64 buffers."""

    def __init__(self, arrays: list[np.ndarray], needs: frozenset[str], out: dict[str, np.ndarray],
                 step: int) -> None:
        import torch

        self.arrays, self.needs, self.out = arrays, needs, out
        f = arrays[0].shape[1]

        def buf(wanted: bool = True):
            return torch.empty((step, f), dtype=torch.float64) if wanted else None

        self.b, self.m = buf(), buf()
        self.d = buf(bool(needs & {"sum_diff", "sum_sq"}))
        self.lb, self.ib = buf("kl" in needs), buf("sum_ratio" in needs)

    def run(self, s: int, e: int) -> None:
        import torch

        needs, out, r = self.needs, self.out, e - s
        vecdot = torch.linalg.vecdot
        b = self.b[:r]
        b.copy_(_tensor(self.arrays[0][s:e]))
        if self.lb is not None:
            sblb = vecdot(b, torch.add(b, EPS, out=self.lb[:r]).log_(), dim=1)
        if self.ib is not None:
            ib = torch.add(b, EPS, out=self.ib[:r]).reciprocal_()
        if "at_bmax" in needs:
            barg = b.argmax(dim=1, keepdim=True)
            out["bmax"][s:e] = b.gather(1, barg)[:, 0].numpy()
        for j, array in enumerate(self.arrays):
            raw = _tensor(array[s:e])
            m = self.m[:r]
            m.copy_(raw)
            if "argmax" in needs:
                out["argmax"][j, s:e] = raw.argmax(dim=1).numpy()
            if "at_bmax" in needs:
                out["at_bmax"][j, s:e] = m.gather(1, barg)[:, 0].numpy()
            if "sum_m" in needs:
                out["sum_m"][j, s:e] = m.sum(dim=1).numpy()
            if self.ib is not None:
                out["sum_ratio"][j, s:e] = vecdot(m, ib, dim=1).numpy()
            if self.d is not None:
                d = torch.sub(m, b, out=self.d[:r])
                if "sum_diff" in needs:
                    out["sum_diff"][j, s:e] = d.sum(dim=1).numpy()
                if "sum_sq" in needs:
                    out["sum_sq"][j, s:e] = vecdot(d, d, dim=1).numpy()
            if self.lb is not None:  # last: it overwrites m with ln(m + ε)
                kl = (sblb - vecdot(b, m.add_(EPS).log_(), dim=1)) / _LN2
                out["kl"][j, s:e] = kl.clamp_min_(0.0).numpy()


_threads_lock = threading.Lock()
_threads_state = {"users": 0, "saved": 1}


@contextmanager
def _block_workers() -> Iterator[int]:
    """Run torch's kernels inline and parallelise over row blocks with that many Python threads.

    torch's own intra-op threads meet at a barrier after every kernel: when another process
    holds a core, each barrier waits for a time slice, and a shared 2-core machine ran the
    reduction 10x slower. Whole blocks per thread need no barrier and balance themselves.
    The setting is process-wide, so it is restored when the last reduction ends.
    """
    import torch

    with _threads_lock:
        if _threads_state["users"] == 0:
            _threads_state["saved"] = torch.get_num_threads()
            torch.set_num_threads(1)
        _threads_state["users"] += 1
        workers = _threads_state["saved"]
    try:
        yield max(1, workers)
    finally:
        with _threads_lock:
            _threads_state["users"] -= 1
            if _threads_state["users"] == 0:
                torch.set_num_threads(_threads_state["saved"])


def _reduce(outputs: Sequence[np.ndarray], needs: frozenset[str],
            progress: Progress | None = None, message: str = "comparing") -> dict[str, np.ndarray]:
    """Per-instance reductions of every output against outputs[0], in one pass over row blocks.

    Returns (k, n) float64 arrays for the quantities in ``needs`` (sum_m, sum_diff, sum_sq,
    sum_ratio, kl, at_bmax), ``argmax`` as (k, n) int64, and ``bmax`` (n,) when at_bmax is asked.
    """
    import torch

    arrays = [_rows(a) for a in outputs]
    k = len(arrays)
    n, f = arrays[0].shape
    out: dict[str, np.ndarray] = {q: np.empty((k, n)) for q in needs if q != "argmax"}
    if "argmax" in needs:
        out["argmax"] = np.empty((k, n), dtype=np.int64)
    if "at_bmax" in needs:
        out["bmax"] = np.empty(n)
    step = max(1, min(n, CHUNK_ELEMENTS // max(1, f)))
    starts = iter(range(0, n, step))
    lock, report_lock = threading.Lock(), threading.Lock()
    done = [0]

    def work() -> None:
        blocks = _Blocks(arrays, needs, out, step)
        with torch.inference_mode():
            while True:
                with lock:
                    s = next(starts, None)
                if s is None:
                    return
                e = min(n, s + step)
                blocks.run(s, e)
                if progress is not None:
                    with report_lock:
                        done[0] += e - s
                        progress(done[0], n, message)

    with _block_workers() as workers:
        workers = min(workers, -(-n // step))
        if workers <= 1:
            work()
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="behaviors") as pool:
                for future in [pool.submit(work) for _ in range(workers)]:
                    future.result()
    return out


def _kind_vectors(kind: str, q: Mapping[str, np.ndarray],
                  features: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(difference, value) of one kind from the reductions (spec §2.4's table)."""
    if kind in ("difference", "abs_difference"):
        diff, value = q["sum_diff"] / features, q["sum_m"] / features
        return (np.abs(diff) if kind == "abs_difference" else diff), value
    if kind in ("difference_argmax", "abs_difference_argmax", "ratio_argmax"):
        value = q["at_bmax"].copy()
        if kind == "ratio_argmax":
            return value / (q["bmax"] + EPS), value
        diff = value - q["bmax"]
        return (np.abs(diff) if kind == "abs_difference_argmax" else diff), value
    if kind == "ratio":
        return q["sum_ratio"] / features, q["sum_m"] / features
    if kind == "mse":
        return q["sum_sq"] / features, None
    if kind == "kl_divergence":
        return q["kl"].copy(), None
    raise ValueError(f"unknown comparison kind '{kind}' (one of {', '.join(_NEEDS)})")


def comparison_vectors(kind: str, outputs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """(difference, value) as (k, n) float64 of every output against outputs[0] (the base).

    ``value`` is None for mse and kl_divergence. 1-D outputs count as (n, 1); KL expects
    probabilities (ε = 1e-6 on both sides, in bits, clipped at 0).
    """
    if kind not in _NEEDS:
        raise ValueError(f"unknown comparison kind '{kind}' (one of {', '.join(_NEEDS)})")
    if not outputs:
        raise ValueError("no outputs to compare")
    shape = np.shape(outputs[0])
    for i, a in enumerate(outputs):
        if np.shape(a) != shape:
            raise ValueError(f"output {i} has shape {np.shape(a)}, the base has {shape}")
    features = _rows(outputs[0]).shape[1]
    return _kind_vectors(kind, _reduce(outputs, _NEEDS[kind]), features)


# --- the data of one comparison set -------------------------------------------------------------
def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """One comparison's per-instance vectors, (k, n) float64; models in BehaviorData order."""

    name: str
    kind: str
    options: dict
    difference: np.ndarray
    value: np.ndarray | None

    @property
    def has_value(self) -> bool:
        """Whether raw values exist (mse and kl_divergence have none: Relative mode only)."""
        return self.value is not None

    @property
    def relative(self) -> bool:
        """Class means of the difference are divided by the base's class mean (spec §1.9)."""
        return bool(self.options.get("relative")) and self.has_value


@dataclass(frozen=True, eq=False)
class BehaviorData:
    """Everything the Behaviors page queries, immutable (shared between requests and users)."""

    models: tuple[str, ...]
    labels: np.ndarray
    class_names: tuple[str, ...]
    instance_ids: np.ndarray
    predicted: np.ndarray
    comparisons: dict[str, ComparisonResult]
    members: sp.csr_matrix | None = None

    @property
    def base(self) -> str:
        """The base model (always first)."""
        return self.models[0]

    @property
    def n(self) -> int:
        """Number of instances."""
        return len(self.labels)

    def correct(self) -> np.ndarray:
        """(k, n) bool: each model's prediction equals the label."""
        return self._correct

    @cached_property
    def _correct(self) -> np.ndarray:
        return _frozen(self.predicted == self.labels[None, :])

    @cached_property
    def wrong(self) -> np.ndarray:
        """(n,) how many of the models get each instance wrong."""
        return _frozen((~self._correct).sum(axis=0))

    @cached_property
    def membership(self) -> sp.csr_matrix:
        """(n, classes) 0/1 float: the given members, else one class per instance (its label)."""
        if self.members is not None:
            m = sp.csr_matrix(self.members, dtype=np.float64, copy=True)
            m.data[:] = 1.0
            return m
        classes = len(self.class_names)
        ok = (self.labels >= 0) & (self.labels < classes)
        rows = np.flatnonzero(ok)
        return sp.csr_matrix((np.ones(len(rows)), (rows, self.labels[ok])), shape=(self.n, classes))

    @cached_property
    def by_class(self) -> sp.csr_matrix:
        """(classes, n): the membership transposed, rows are classes (class sums are one product)."""
        return self.membership.T.tocsr()

    def in_class(self, c: int) -> np.ndarray:
        """(n,) bool: instances that belong to class ``c``."""
        mask = np.zeros(self.n, dtype=bool)
        if 0 <= c < self.by_class.shape[0]:
            t = self.by_class
            mask[t.indices[t.indptr[c]:t.indptr[c + 1]]] = True
        return mask

    def class_name(self, c: int) -> str:
        """The class's name, or its number for a prediction beyond the named classes."""
        return self.class_names[c] if 0 <= c < len(self.class_names) else str(c)


def _prediction_output(base_outputs: Mapping[str, np.ndarray], base: str) -> str:
    if "probs" in base_outputs:
        return "probs"
    for name, a in base_outputs.items():
        if np.ndim(a) == 2:
            return name
    raise ValueError(f"model '{base}' has no 2-D output to take predictions from")


def build_behavior_data(models: Sequence[str], outputs: Mapping[str, Mapping[str, np.ndarray]],
                        labels: np.ndarray, class_names: Sequence[str], instance_ids: np.ndarray,
                        specs: Sequence[ComparisonSpec], members: Any = None,
                        progress: Progress | None = None) -> BehaviorData:
    """Every comparison of ``models`` (base first) in one chunked pass per output.

    Correctness comes first; an inspector comparison named like it is skipped, and of two
    specs with one name the first wins.
    """
    models = tuple(models)
    if not models:
        raise ValueError("no models to compare")
    if len(set(models)) != len(models):
        raise ValueError(f"duplicate models in {list(models)}")
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and not np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(f"labels must be a 1-D integer array, got {labels.dtype} {labels.shape}")
    labels = labels.astype(np.int64)
    n = len(labels)
    ids = np.asarray(instance_ids)
    if len(ids) != n:
        raise ValueError(f"{len(ids)} instance ids for {n} labels")
    base = models[0]
    for m in models:
        if m not in outputs:
            raise ValueError(f"no outputs for model '{m}'")
    pred_output = _prediction_output(outputs[base], base)
    specs = [s for i, s in enumerate(specs) if s.name != CORRECTNESS
             and all(t.name != s.name for t in specs[:i])]
    needs: dict[str, set[str]] = {pred_output: {"argmax"}}
    for spec in specs:
        needs.setdefault(spec.output, set()).update(_NEEDS[spec.kind])
    for name in needs:
        if name not in outputs[base]:
            raise ValueError(f"model '{base}' has no output '{name}'")
        shape = np.shape(outputs[base][name])
        if not shape or shape[0] != n:
            raise ValueError(f"model '{base}': output '{name}' has shape {shape}, expected {n} rows")
        for m in models[1:]:
            if name not in outputs[m]:
                raise ValueError(f"model '{m}' has no output '{name}'")
            if np.shape(outputs[m][name]) != shape:
                raise ValueError(f"model '{m}': output '{name}' has shape {np.shape(outputs[m][name])}, "
                                 f"the base '{base}' has {shape}")
    if np.ndim(outputs[base][pred_output]) != 2:
        raise ValueError(f"model '{base}': output '{pred_output}' is not 2-D, cannot take predictions")
    reduced: dict[str, dict[str, np.ndarray]] = {}
    for i, (name, wanted) in enumerate(needs.items()):
        step = None if progress is None else _scaled(progress, i, len(needs), f"comparing '{name}'")
        reduced[name] = _reduce([outputs[m][name] for m in models], frozenset(wanted), step)
    predicted = reduced[pred_output]["argmax"]
    correct = (predicted == labels[None, :]).astype(np.float64)
    comparisons = {CORRECTNESS: ComparisonResult(CORRECTNESS, "difference", dict(CORRECTNESS_OPTIONS),
                                                 _frozen(correct - correct[0]), _frozen(correct))}
    for spec in specs:
        features = _rows(outputs[base][spec.output]).shape[1]
        diff, value = _kind_vectors(spec.kind, reduced[spec.output], features)
        comparisons[spec.name] = ComparisonResult(spec.name, spec.kind, dict(spec.options), _frozen(diff),
                                                  None if value is None else _frozen(value))
    if members is not None:
        members = sp.csr_matrix(members)
        if members.shape != (n, len(class_names)):
            raise ValueError(f"class membership has shape {members.shape}, "
                             f"expected ({n}, {len(class_names)})")
    return BehaviorData(models, _frozen(labels), tuple(class_names), ids, _frozen(predicted), comparisons,
                        members)


def _scaled(progress: Progress, part: int, parts: int, message: str) -> Progress:
    """Progress of one of ``parts`` equal passes, reported on the whole."""
    def report(done: int, total: int, _message: str) -> None:
        progress(part * total + done, parts * total, message)
    return report


# --- queries ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BehaviorQuery:
    """What the table shows: comparison, mode, level, filters, sort and page."""

    comparison: str
    mode: Literal["absolute", "relative"] = "absolute"
    level: Literal["class", "instance"] = "class"
    class_filter: int | None = None
    brushes: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    sort: tuple[str, Literal["desc", "asc"]] | None = None
    page: int = 0
    page_size: int = 50
    wrong_by: int | None = None
    pair: tuple[str, str] | None = None  # keep instances on which these two models disagree


@dataclass(frozen=True)
class QueryResult:
    """One page of JSON-ready rows plus what the header draws (histograms, summary, domain)."""

    rows: list[dict]
    total: int
    page: int
    pages: int
    n_instances: int
    histograms: dict[str, dict]
    summary: dict[str, dict]
    domain: tuple[float, float]
    diverging: bool
    mode: str
    level: str = "class"


@dataclass
class _Table:
    """Candidate rows (before brushes) in default order, and the chosen rows in final order."""

    mode: str
    level: str
    keys: np.ndarray          # (R,) instance indices or class indices
    shown: np.ndarray         # (k, R)
    value: np.ndarray | None  # (k, R)
    difference: np.ndarray    # (k, R)
    counts: np.ndarray        # (R,) instances per row (1 at instance level)
    keep: np.ndarray          # (n,) instances passing class filter, wrong_by and pair
    order: np.ndarray         # positions into keys: brushed and sorted


def _instance_keep(data: BehaviorData, q: BehaviorQuery) -> np.ndarray:
    keep = np.ones(data.n, dtype=bool)
    if q.level == "instance" and q.class_filter is not None:
        keep &= data.in_class(int(q.class_filter))
    if q.wrong_by is not None:
        keep &= data.wrong == int(q.wrong_by)
    if q.pair is not None and len(q.pair) == 2 and all(m in data.models for m in q.pair):
        a, b = (data.models.index(m) for m in q.pair)
        keep &= data.predicted[a] != data.predicted[b]
    return keep


def _class_table(data: BehaviorData, comp: ComparisonResult, mode: str, keep: np.ndarray):
    """Class rows: means over each class's kept instances (an instance counts in each of its classes)."""
    m_t = data.by_class
    w = keep.astype(np.float64)
    counts = m_t @ w
    present = np.flatnonzero(counts > 0)
    names = [data.class_names[c] for c in present]
    present = present[sorted(range(len(present)), key=lambda i: (names[i], present[i]))]
    sub = m_t[present]
    cnt = counts[present]
    diff = (sub @ (comp.difference.T * w[:, None])).T / cnt
    value = None if comp.value is None else (sub @ (comp.value.T * w[:, None])).T / cnt
    if comp.relative:
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = diff / value[0]
        diff = np.where(diff == 0, 0.0, rel)
    shown = value if mode == "absolute" else diff
    return present, shown, value, diff, cnt


def _table(data: BehaviorData, q: BehaviorQuery) -> _Table:
    if q.comparison not in data.comparisons:
        raise ValueError(f"unknown comparison '{q.comparison}' (one of {', '.join(data.comparisons)})")
    if q.level not in ("class", "instance"):
        raise ValueError(f"unknown level '{q.level}' (class or instance)")
    comp = data.comparisons[q.comparison]
    mode = "absolute" if q.mode == "absolute" and comp.has_value else "relative"
    keep = _instance_keep(data, q)
    if q.level == "instance":
        keys = np.flatnonzero(keep)
        full = len(keys) == data.n
        diff = comp.difference if full else comp.difference[:, keys]
        value = None if comp.value is None else (comp.value if full else comp.value[:, keys])
        shown = value if mode == "absolute" else diff
        counts = np.ones(len(keys))
    else:
        keys, shown, value, diff, counts = _class_table(data, comp, mode, keep)
    table = _Table(mode, q.level, keys, shown, value, diff, counts, keep, np.arange(len(keys)))
    table.order = _sorted(data, table, q, _brushed(data, table, q))
    return table


def _brushed(data: BehaviorData, t: _Table, q: BehaviorQuery) -> np.ndarray:
    """Positions inside every brush (inclusive edges, AND across models)."""
    mask = np.ones(len(t.keys), dtype=bool)
    for model, (lo, hi) in q.brushes.items():
        if model in data.models:
            lo, hi = min(lo, hi), max(lo, hi)
            v = t.shown[data.models.index(model)]
            mask &= (v >= lo) & (v <= hi)
    return np.flatnonzero(mask)


def _sorted(data: BehaviorData, t: _Table, q: BehaviorQuery, positions: np.ndarray) -> np.ndarray:
    """Stable sort by one model's raw value (absolute) or |difference| (relative); NaN last."""
    if q.sort is None or q.sort[0] not in data.models:
        return positions
    key = t.shown[data.models.index(q.sort[0]), positions]
    if t.mode == "relative":
        key = np.abs(key)
    if q.sort[1] == "asc":
        return positions[np.argsort(key, kind="stable")]
    return positions[np.argsort(-key, kind="stable")]


def _f(x: float) -> float | None:
    """A JSON-safe float: non-finite (e.g. a relative change over a base of 0) becomes None."""
    x = float(x)
    return x if math.isfinite(x) else None


def _histograms(data: BehaviorData, t: _Table) -> dict[str, dict]:
    """Histograms of the shown values of the candidate rows (instances after the class filter,
    wrong_by and pair, or class rows), never brushed, with edges shared by the models."""
    models = list(range(len(data.models)))
    if t.mode == "relative":
        models = models[1:]
    values = t.shown[models] if models else np.empty((0, 0))
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    edges = nice_edges(lo, hi, HIST_BINS)
    bins = len(edges) - 1
    out: dict[str, dict] = {}
    if not models:
        return out
    ok = np.isfinite(values)
    every = finite.size == values.size
    v = values if every else np.where(ok, values, lo)
    idx = ((v - edges[0]) * (1.0 / (edges[1] - edges[0]))).astype(np.intp)  # uniform bins: no search
    np.clip(idx, 0, bins - 1, out=idx)
    idx -= v < edges[idx]  # rounding at an edge: [e_i, e_i+1) as np.histogram, the last bin closed
    idx += (v >= edges[idx + 1]) & (idx < bins - 1)
    idx += (np.arange(len(models)) * bins)[:, None]
    counts = np.bincount(idx.ravel() if every else idx[ok], minlength=len(models) * bins)
    counts = counts.reshape(len(models), bins)
    edge_list = [float(e) for e in edges]
    for row, j in enumerate(models):
        out[data.models[j]] = {"edges": edge_list, "counts": counts[row].tolist()}
    return out


def _domain(t: _Table) -> tuple[tuple[float, float], bool]:
    """Min and max over every model's shown values; symmetric and diverging when the min is < 0."""
    finite = t.shown[np.isfinite(t.shown)]
    if not finite.size:
        return (0.0, 1.0), False
    lo, hi = float(finite.min()), float(finite.max())
    if lo < 0:
        top = max(abs(lo), abs(hi))
        return (-top, top), True
    return (lo, hi), False


def _wmean(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean of the finite values; NaN when there are none."""
    ok = np.isfinite(values) & (weights > 0)
    total = weights[ok].sum()
    return float((values[ok] * weights[ok]).sum() / total) if total > 0 else math.nan


def _ranked(codes: np.ndarray, weights: np.ndarray) -> list[tuple[int, float]]:
    """The TOP most frequent codes (weighted), ties by code."""
    if not len(codes):
        return []
    uniq, inverse = np.unique(codes, return_inverse=True)
    counts = np.bincount(inverse, weights=weights, minlength=len(uniq))
    order = np.lexsort((uniq, -counts))[:TOP]
    return [(int(uniq[i]), float(counts[i])) for i in order if counts[i] > 0]


def _summary(data: BehaviorData, t: _Table, q: BehaviorQuery) -> tuple[dict[str, dict], int]:
    """Per model: mean raw value, mean shown value and top predictions (or changes), and N.

    Instance level: plain means over the rows; a ``relative`` comparison's mean difference is
    divided by the base's mean value, as for a class. Class level: class rows weighted by size.
    """
    comp = data.comparisons[q.comparison]
    pos = t.order
    k = len(data.models)
    if t.level == "instance":
        inst, inst_w = t.keys[pos], np.ones(len(pos))
        weights = inst_w
    else:
        weights = t.counts[pos]
        chosen = np.zeros(data.membership.shape[1])
        chosen[t.keys[pos]] = 1.0
        per_instance = (data.membership @ chosen) * t.keep  # an instance counts once per chosen class
        inst = np.flatnonzero(per_instance)
        inst_w = per_instance[inst]
    means_v = None if t.value is None else np.array([_wmean(t.value[j, pos], weights) for j in range(k)])
    if t.level == "instance" and t.mode == "relative":
        means_d = np.array([_wmean(t.difference[j, pos], weights) for j in range(k)])
        if comp.relative and means_v is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                means_d = np.where(means_d == 0, 0.0, means_d / means_v[0])
        means_shown = means_d
    else:
        means_shown = np.array([_wmean(t.shown[j, pos], weights) for j in range(k)])
    total_w = float(inst_w.sum())
    preds = data.predicted[:, inst]
    classes = max(len(data.class_names), int(data.predicted.max(initial=0)) + 1)
    out: dict[str, dict] = {}
    for j, model in enumerate(data.models):
        if t.mode == "absolute":
            top = [{"model": data.class_name(c), "rate": cnt / total_w}
                   for c, cnt in _ranked(preds[j], inst_w)]
        elif j == 0:
            top = []
        else:
            differ = preds[0] != preds[j]
            codes = preds[0][differ] * classes + preds[j][differ]
            top = [{"base": data.class_name(c // classes), "model": data.class_name(c % classes),
                    "rate": cnt / total_w} for c, cnt in _ranked(codes, inst_w[differ])]
        out[model] = {"mean_value": None if means_v is None else _f(means_v[j]),
                      "mean_shown": _f(means_shown[j]), "top": top}
    n_instances = int(round(float(weights.sum())))
    return out, n_instances


def _instance_rows(data: BehaviorData, t: _Table, positions: np.ndarray) -> list[dict]:
    rows = []
    for p in positions:
        i = int(t.keys[p])
        label = int(data.labels[i])
        cells = {}
        for j, model in enumerate(data.models):
            pred = int(data.predicted[j, i])
            cells[model] = {"pred": pred, "pred_name": data.class_name(pred),
                            "value": None if t.value is None else _f(t.value[j, p]),
                            "difference": _f(t.difference[j, p]), "shown": _f(t.shown[j, p])}
        rows.append({"index": i, "id": str(data.instance_ids[i]), "label": label,
                     "label_name": data.class_name(label), "cells": cells})
    return rows


def _class_rows(data: BehaviorData, t: _Table, positions: np.ndarray) -> list[dict]:
    rows = []
    for p in positions:
        c = int(t.keys[p])
        cells = {model: {"value": None if t.value is None else _f(t.value[j, p]),
                         "difference": _f(t.difference[j, p]), "shown": _f(t.shown[j, p])}
                 for j, model in enumerate(data.models)}
        rows.append({"class": c, "name": data.class_name(c), "count": int(round(t.counts[p])),
                     "cells": cells})
    return rows


def query(data: BehaviorData, q: BehaviorQuery) -> QueryResult:
    """One page of rows for the table plus histograms, summary and the score domain."""
    t = _table(data, q)
    total = len(t.order)
    size = max(1, int(q.page_size))
    pages = max(1, -(-total // size))
    page = min(max(0, int(q.page)), pages - 1)
    positions = t.order[page * size:(page + 1) * size]
    rows = _instance_rows(data, t, positions) if t.level == "instance" else _class_rows(data, t, positions)
    summary, n_instances = _summary(data, t, q)
    domain, diverging = _domain(t)
    return QueryResult(rows, total, page, pages, n_instances, _histograms(data, t), summary, domain,
                       diverging, t.mode, t.level)


def _csv_column(values: np.ndarray) -> list:
    """Python numbers, with empty cells where a value is missing or not finite."""
    out = values.tolist()
    if values.dtype.kind == "f":
        for i in np.flatnonzero(~np.isfinite(values)):
            out[i] = ""
    return out


def _model_column(data: BehaviorData, t: _Table, j: int, keys: np.ndarray, names: np.ndarray,
                  name: str) -> list:
    """One model's CSV column ``name`` over the ordered rows."""
    if name == "pred":
        return data.predicted[j, keys].tolist()
    if name == "pred_name":
        return names[data.predicted[j, keys]].tolist()
    values = {"value": t.value, "difference": t.difference, "shown": t.shown}[name]
    return [""] * len(keys) if values is None else _csv_column(values[j, t.order])


def rows_csv(data: BehaviorData, q: BehaviorQuery) -> str:
    """Every filtered row in order (not one page) as CSV: the page's columns, cells flattened."""
    t = _table(data, q)
    keys = t.keys[t.order]
    top = int(data.predicted.max(initial=0)) + 1
    names = np.array([data.class_name(c) for c in range(max(top, len(data.class_names)))], dtype=object)
    if t.level == "instance":
        fields = ("pred", "pred_name", "value", "difference", "shown")
        labels = data.labels[keys]
        label_names = [data.class_name(c) for c in labels.tolist()]
        head = {"index": keys.tolist(), "id": np.asarray(data.instance_ids)[keys].astype(str).tolist(),
                "label": labels.tolist(), "label_name": label_names}
    else:
        fields = ("value", "difference", "shown")
        head = {"class": keys.tolist(), "name": [data.class_name(c) for c in keys.tolist()],
                "count": np.rint(t.counts[t.order]).astype(np.int64).tolist()}
    columns = list(head.values())
    for j in range(len(data.models)):
        columns.extend(_model_column(data, t, j, keys, names, f) for f in fields)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(head) + [f"{m} {f}" for m in data.models for f in fields])
    writer.writerows(zip(*columns, strict=True))
    return buf.getvalue()


# --- beyond the reference: disagreement, attribution along the tree, significance ------------------
def flip_matrix(data: BehaviorData, mask: np.ndarray | None = None) -> np.ndarray:
    """(k, k) share of (masked) instances on which models i and j predict different classes."""
    preds = data.predicted if mask is None else data.predicted[:, np.asarray(mask, dtype=bool)]
    k, n = preds.shape
    out = np.zeros((k, k))
    if n == 0:
        return out
    for i in range(k):
        out[i, i + 1:] = (preds[i + 1:] != preds[i]).mean(axis=1)
    return out + out.T


def wrong_counts(data: BehaviorData) -> np.ndarray:
    """(n,) how many of the k models get each instance wrong."""
    return data.wrong


def operation_label(operation: Any) -> str:
    """'prune (amount=0.9)': an operation's name and parameters, as attribution groups them."""
    if operation is None:
        return "(none)"
    params = dict(getattr(operation, "parameters", None) or {})
    name = getattr(operation, "name", str(operation))
    return f"{name} ({', '.join(f'{k}={v}' for k, v in params.items())})" if params else name


def flip_attribution(path: Sequence[str], operations: Sequence[str], predicted: Sequence[np.ndarray],
                     labels: np.ndarray) -> list[dict]:
    """Which edge of a root→model path introduced the model's new errors.

    A *new error* is an instance the root (path[0]) gets right and the model (path[-1]) gets
    wrong. It is attributed to the first edge after which it is wrong; since the root was
    right, that is also the first edge after which its prediction differs from the root's.
    An instance that breaks, recovers and breaks again counts at its first break. Per edge
    also: ``flips`` (predictions that change on that edge), ``broke`` (right before, wrong
    after) and ``fixed`` (wrong before, right after), over all instances.
    """
    if len(operations) != len(path) - 1 or len(predicted) != len(path):
        raise ValueError(f"path of {len(path)} models needs {len(path) - 1} operations and {len(path)} "
                         f"prediction vectors, got {len(operations)} and {len(predicted)}")
    labels = np.asarray(labels)
    preds = [np.asarray(p) for p in predicted]
    if len(path) < 2:
        return []
    right = np.stack([p == labels for p in preds])  # (L, n)
    new = right[0] & ~right[-1]
    wrong_after = ~right[1:] & new  # (L-1, n)
    first = np.argmax(wrong_after, axis=0)  # first edge after which a new error is wrong
    per_edge = np.bincount(first[new], minlength=len(path) - 1)
    total = int(new.sum())
    rows = []
    for i in range(len(path) - 1):
        rows.append({"step": i, "from": path[i], "to": path[i + 1], "operation": operations[i],
                     "new_errors": int(per_edge[i]), "share": per_edge[i] / total if total else 0.0,
                     "flips": int(np.count_nonzero(preds[i] != preds[i + 1])),
                     "broke": int(np.count_nonzero(right[i] & ~right[i + 1])),
                     "fixed": int(np.count_nonzero(~right[i] & right[i + 1]))})
    return rows


def attribution_by_operation(rows: Sequence[dict]) -> list[dict]:
    """Attribution rows (of one or several paths) summed per operation label, most new errors first."""
    groups: dict[str, dict] = {}
    for r in rows:
        g = groups.setdefault(r["operation"], {"operation": r["operation"], "steps": 0, "new_errors": 0,
                                               "flips": 0, "broke": 0, "fixed": 0})
        g["steps"] += 1
        for key in ("new_errors", "flips", "broke", "fixed"):
            g[key] += int(r.get(key, 0))
    total = sum(g["new_errors"] for g in groups.values())
    out = [{**g, "share": g["new_errors"] / total if total else 0.0} for g in groups.values()]
    return sorted(out, key=lambda g: -g["new_errors"])  # stable: first appearance breaks ties


def significance(data: BehaviorData, n_boot: int = 2000, seed: int = 0) -> dict[str, dict]:
    """Per non-base model: accuracy change against the base, 95% bootstrap CI and McNemar p."""
    correct = data.correct()
    out = {}
    for j, model in enumerate(data.models[1:], start=1):
        delta, lo, hi = accuracy_delta_ci(correct[0], correct[j], n_boot=n_boot, seed=seed)
        p = mcnemar_p(correct[0], correct[j])
        out[model] = {"delta": delta, "lo": lo, "hi": hi, "p": p,
                      "significant": bool((lo > 0 or hi < 0) and p < 0.05)}
    return out


__all__ = [
    "CORRECTNESS", "BehaviorData", "BehaviorQuery", "ComparisonResult", "QueryResult", "accuracy_delta_ci",
    "attribution_by_operation", "build_behavior_data", "comparison_vectors", "flip_attribution",
    "flip_matrix", "kl_divergence", "mcnemar_p", "model_summary", "operation_label", "query", "rows_csv",
    "significance", "wrong_counts",
]
