"""The Behaviors comparisons: per-instance vectors of every model against the base, computed in
one chunked pass over the (memory-mapped) outputs.

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

import math
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

EPS = 1e-6
CHUNK_ELEMENTS = 1 << 18  # elements per float64 work buffer (2 MiB): stays in cache, no big allocations
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
    "agreement": frozenset({"agree"}),
}
# Kinds with no raw per-model value, only a difference against the base (``_kind_vectors``
# returns value None): the Behaviors page offers them in Relative mode only.
VALUELESS_KINDS = frozenset({"mse", "kl_divergence", "agreement"})


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
            if "agree" in needs:  # integer codes per position; the base's negatives are padding
                valid = b >= 0
                agree = (((m == b) & valid).sum(dim=1).double()
                         / valid.sum(dim=1).clamp_min(1).double())
                out["agree"][j, s:e] = torch.where(valid.any(dim=1), agree, 1.0).numpy()
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
_threads_state: dict[str, int | None] = {"users": 0, "saved": None}  # saved: only while users > 0


def _forget_reductions_in_child() -> None:
    """A forked child (a Dash job) runs none of its parent's reductions: a count or a lock left
    held by a parent thread that was inside one would make the child's first reduction skip the
    thread setting or wait forever."""
    global _threads_lock
    _threads_lock = threading.Lock()
    _threads_state.update(users=0, saved=None)


os.register_at_fork(after_in_child=_forget_reductions_in_child)


@contextmanager
def _block_workers() -> Iterator[int]:
    """Run torch's kernels inline and parallelise over row blocks with that many Python threads.

    torch's own intra-op threads meet at a barrier after every kernel: when another process
    holds a core, each barrier waits for a time slice, and a shared 2-core machine ran the
    reduction 10x slower. Whole blocks per thread need no barrier and balance themselves.
    The setting is process-wide, so it is restored when the last reduction ends.

    Fork safety: torch is on one thread before the first kernel, so no kernel of a reduction,
    in the calling thread or a block worker, opens an OpenMP parallel region, and the Dash web
    process (where this runs when derived arrays are not cached yet) keeps no OpenMP pool for
    the jobs it forks to inherit. A job forked after a parallel region deadlocks in its own
    first one; tests/unit/test_fork_safety.py checks both (it times out when the parent ran
    a 2-thread torch op before forking). In the web process torch is on one thread anyway
    (server.jobs.web_process_threads), so saving and restoring change nothing there.
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
                _threads_state["saved"] = None  # nothing is kept between reductions


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
    if kind == "agreement":  # the share of positions where the model's code equals the base's
        return q["agree"].copy(), None
    raise ValueError(f"unknown comparison kind '{kind}' (one of {', '.join(_NEEDS)})")


def kl_divergence(base: np.ndarray, model: np.ndarray) -> np.ndarray:
    """Per-instance KL(base ‖ model) in bits, clipped at 0 (spec §2.4's kl_divergence), the plain
    numpy form of what the chunked reduction computes for two probability arrays."""
    b, m = base.astype(np.float64), model.astype(np.float64)
    return np.maximum((b * np.log2((b + EPS) / (m + EPS))).sum(axis=1), 0.0)


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
