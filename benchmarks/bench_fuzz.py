"""P8 fuzz: the front door's parsers on at least 100,000 hostile inputs (``tests/fuzz``).

Each target of ``tests.fuzz.targets`` (the config loader, every page's URL parser and the codec,
the regex filter, budgets, filter bounds, the map search) runs its property on inputs Hypothesis
draws plus seeded mutants of them: no exception other than the target's one-line error, and no
input slower than ``tests.fuzz.harness.LIMIT_S``. The row of a target is its slowest input next
to its median input, measured in the same run (the ratio says how far the worst input is from
the typical one). ``CC_FUZZ_SEED`` picks the run (default 0); ``CC_FUZZ_INPUTS`` the inputs per
target (default: enough for 100,000 in all; ``--quick``: 1,000).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import warnings
from pathlib import Path

from benchmarks.registry import Result, workload
from tests.fuzz.harness import LIMIT_S, FuzzFailure, Tally, Target, feed_one, run_target
from tests.fuzz.targets import TARGETS

TOTAL = 100_000
GOAL = f"no failure, slowest < {LIMIT_S:g} s"


def _drawn(per_target: int) -> int:
    """Inputs Hypothesis draws per target; the rest of ``per_target`` are mutants of them."""
    return max(50, min(800, per_target // 12))


def _alone(target: Target, tally: Tally) -> float:
    """The slowest input timed again on its own: a GC pause or a busy core inflates the first."""
    if tally.slowest_example is None:
        return 0.0
    again = Tally()
    with tempfile.TemporaryDirectory() as tmp, contextlib.suppress(FuzzFailure):
        feed_one(target, tally.slowest_example, Path(tmp), again)
    return again.slowest_s


@workload("P8")
def p8_fuzz(quick: bool) -> list[Result]:
    """Every fuzz target, one row each, and a total row (inputs, failures, slowest input)."""
    seed = int(os.environ.get("CC_FUZZ_SEED", "0"))
    per_target = int(os.environ.get("CC_FUZZ_INPUTS") or (1_000 if quick else -(-TOTAL // len(TARGETS))))
    rows, failures, tallies = [], [], {}
    print(f"P8 fuzz: {len(TARGETS)} targets x {per_target:,} inputs, seed {seed}, "
          f"limit {LIMIT_S:g} s per input")
    for name, target in TARGETS.items():
        tally, failure, start = Tally(), None, time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Hypothesis warns about the repr of 30 kB inputs
            try:
                run_target(target, _drawn(per_target), seed, tally, inputs=per_target)
            except Exception as exc:  # noqa: BLE001 - a failure is a result: report it, run the rest
                failure = f"{type(exc).__name__}: {str(exc)[:600]}"
        tallies[name] = tally
        alone = _alone(target, tally)
        print(f"  {name:<18} {tally.inputs:>8,} inputs  {tally.rejected:>7,} refused (one-line error)  "
              f"slowest {tally.slowest_s * 1e3:8.2f} ms  median {tally.median_s * 1e6:8.1f} us  "
              f"({time.perf_counter() - start:.0f} s)")
        print(f"  {'':<18} slowest input (timed again alone: {alone * 1e3:.2f} ms): "
              f"{tally.slowest_input[:160]}")
        if failure:
            failures.append(f"{name}: {failure}")
            print(f"  {'':<18} FAILURE: {failure}")
        rows.append(Result(f"P8 fuzz {name} ({tally.inputs:,} inputs, slowest vs median)", tally.slowest_s,
                           tally.median_s, GOAL, failure is None and tally.slowest_s < LIMIT_S))
    total = sum(t.inputs for t in tallies.values())
    worst = max(tallies, key=lambda n: tallies[n].slowest_s)
    all_times = sorted(x for t in tallies.values() for x in t.times)
    print(f"P8 fuzz: {total:,} inputs, {len(failures)} failing targets, "
          f"slowest {tallies[worst].slowest_s:.3f} s ({worst})")
    wanted = len(TARGETS) * per_target
    rows.append(Result(f"P8 fuzz all targets ({total:,} inputs, slowest vs median)", tallies[worst].slowest_s,
                       all_times[len(all_times) // 2], f">= {wanted:,} inputs, {GOAL}",
                       not failures and total >= wanted and tallies[worst].slowest_s < LIMIT_S))
    return rows
