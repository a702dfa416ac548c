"""Workload registry and timing helpers shared by every benchmark module.

A workload is a function ``fn(quick: bool) -> list[Result]`` registered under the code of the
goal it measures (P0–P6). Baselines are always measured in the same run on the same data, so a
ratio compares like with like on whatever machine runs it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Result:
    """One line of the benchmark table."""

    name: str
    ours_s: float
    baseline_s: float
    goal: str
    goal_met: bool

    @property
    def ratio(self) -> float:
        """ours / baseline (below 1 means we are faster than the baseline)."""
        return self.ours_s / self.baseline_s if self.baseline_s > 0 else float("inf")

    def as_json(self) -> dict:
        """The row as written to ``benchmarks/results.json``."""
        out = asdict(self)
        out["ratio"] = self.ratio
        return {k: out[k] for k in ("name", "ours_s", "baseline_s", "ratio", "goal", "goal_met")}


Workload = Callable[[bool], list[Result]]
REGISTRY: dict[str, list[Workload]] = {}
# peers to time next to ours where a workload supports one (``--peer mlflow``), set by __main__
PEERS: set[str] = set()


def workload(code: str) -> Callable[[Workload], Workload]:
    """Register ``fn`` under a goal code such as ``"P0"`` (``--only P0`` selects it)."""

    def deco(fn: Workload) -> Workload:
        REGISTRY.setdefault(code, []).append(fn)
        return fn

    return deco


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Minimum wall time of ``repeat`` calls: the least noisy estimate on a shared machine."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
