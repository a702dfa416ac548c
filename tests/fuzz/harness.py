"""Run one fuzz target: time every input, let only the target's error type through, keep a tally.

Why our own time check rather than Hypothesis's ``deadline``: the deadline is per test case and
reports a flaky timing; here the property itself is "no input takes longer than LIMIT_S", so a
slow input fails like a crash does, with the input in the message (a hang detector far above
the microseconds a typical input takes, so a loaded machine does not trip it).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis.strategies import SearchStrategy

from tests.fuzz.mutate import mutate

LIMIT_S = float(os.environ.get("CC_FUZZ_LIMIT_S", "1.0"))
SHOWN = 600  # characters of an input quoted in a failure
TOP = 5  # slowest inputs kept per run
MUTANTS = 2  # seeded variants fed per drawn input in CI (the benchmark feeds more)


class FuzzFailure(AssertionError):
    """An input that raised something other than the target's error type, or took too long."""


def shown(value: Any) -> str:
    """An input as a failure quotes it: its repr, cut (a 1 MB input stays readable)."""
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}... ({len(text):,} characters)"


@dataclass(frozen=True)
class Target:
    """A parser under fuzz: how inputs are drawn, how one is fed, which error is its own."""

    name: str
    strategy: Callable[[], SearchStrategy]
    feed: Callable[[Any, Path], object]  # (input, a scratch folder) -> anything
    allowed: tuple[type[BaseException], ...] = ()
    ci_examples: int = 200
    check: Callable[[BaseException], str | None] = lambda _exc: None  # what is wrong with an allowed error
    # Untimed set-up in a fresh folder (writing files); feed then gets what it returns.
    prepare: Callable[[Any, Path], Any] | None = None
    fixed: tuple[int, ...] = ()  # positions of a tuple input that mutants keep (which forest, a limit)
    cap: int = 60_000  # the longest string a mutant grows to


@dataclass
class Tally:
    """What one target's run saw: inputs fed, the target's own errors, the slowest input."""

    inputs: int = 0
    rejected: int = 0  # inputs answered with the target's one-line error (a pass)
    slowest_s: float = 0.0
    slowest_input: str = ""
    slowest_example: Any = None  # the input itself, so it can be timed again alone
    times: list[float] = field(default_factory=list)
    top: list[tuple[float, str]] = field(default_factory=list)  # the TOP slowest, slowest first

    def record(self, elapsed: float, example: Any) -> None:
        self.inputs += 1
        self.times.append(elapsed)
        if elapsed > self.slowest_s:
            self.slowest_s, self.slowest_input, self.slowest_example = elapsed, shown(example), example
        if len(self.top) < TOP or elapsed > self.top[-1][0]:
            self.top = sorted([*self.top, (elapsed, shown(example))], reverse=True)[:TOP]

    @property
    def median_s(self) -> float:
        """The typical input's time (the baseline the slowest one is compared to)."""
        ordered = sorted(self.times)
        return ordered[len(ordered) // 2] if ordered else 0.0


def feed_one(target: Target, example: Any, folder: Path, tally: Tally) -> None:
    """Feed one input; raise FuzzFailure when it escapes with a foreign error or is too slow."""
    if target.prepare is None:
        _timed(target, example, example, folder, tally)
        return
    case = Path(tempfile.mkdtemp(dir=folder))
    try:
        _timed(target, example, target.prepare(example, case), case, tally)
    finally:
        shutil.rmtree(case, ignore_errors=True)


def _timed(target: Target, example: Any, fed: Any, folder: Path, tally: Tally) -> None:
    start = time.perf_counter()
    try:
        target.feed(fed, folder)
        problem = None
    except target.allowed as exc:
        tally.rejected += 1
        problem = target.check(exc)
    except Exception as exc:  # noqa: BLE001 - anything else escaping is what the fuzzer looks for
        elapsed = time.perf_counter() - start
        tally.record(elapsed, example)
        raise FuzzFailure(f"{target.name}: {type(exc).__name__}: {str(exc)[:300]} on input "
                          f"{shown(example)}") from exc
    elapsed = time.perf_counter() - start
    if elapsed > LIMIT_S and not problem:  # timed again once: a GC pause or a busy machine is not a hang
        again = time.perf_counter()
        with contextlib.suppress(*target.allowed):
            target.feed(fed, folder)
        elapsed = min(elapsed, time.perf_counter() - again)
    tally.record(elapsed, example)
    if problem:
        raise FuzzFailure(f"{target.name}: {problem} on input {shown(example)}")
    if elapsed > LIMIT_S:
        raise FuzzFailure(f"{target.name}: took {elapsed:.2f} s (limit {LIMIT_S:g} s) on input "
                          f"{shown(example)}")


def run_target(target: Target, max_examples: int | None = None, rng_seed: int | None = None,
               tally: Tally | None = None, mutants: int = MUTANTS, inputs: int | None = None) -> Tally:
    """Run Hypothesis on one target, then ``mutants`` seeded variants of each input it drew
    (more where ``inputs``, the total to feed, asks for more).

    ``max_examples`` defaults to the target's CI count. ``rng_seed`` makes the run reproducible
    (the benchmark); without it each run draws new inputs (CI keeps exploring). A failure
    raises FuzzFailure: Hypothesis's shrunk input, or the mutant and the seed that made it.
    """
    tally = tally if tally is not None else Tally()
    drawn: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="cc-fuzz-") as tmp:
        folder = Path(tmp)

        @settings(max_examples=max_examples or target.ci_examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), print_blob=False)
        @given(target.strategy())
        def prop(example: Any) -> None:
            drawn.append(example)
            feed_one(target, example, folder, tally)

        (seed(rng_seed)(prop) if rng_seed is not None else prop)()
        base = rng_seed if rng_seed is not None else random.randrange(2**32)
        if inputs is not None and drawn:
            mutants = max(mutants, -(-(inputs - len(drawn)) // len(drawn)))  # ceiling division
        for i, example in enumerate(drawn):
            for j in range(mutants):
                rng = random.Random(f"{base}:{target.name}:{i}:{j}")
                mutant = mutate(example, rng, target.cap, target.fixed)
                try:
                    feed_one(target, mutant, folder, tally)
                except FuzzFailure as exc:
                    raise FuzzFailure(f"{exc} (mutant {j} of drawn input {i}, seed {base})") from exc
    return tally
