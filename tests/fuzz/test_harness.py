"""The harness itself: a foreign exception, a slow input and a multi-line problem each fail."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import strategies as st

from backend.experiment.loader import ConfigError
from tests.fuzz import harness
from tests.fuzz.config_strategies import ConfigCase
from tests.fuzz.harness import FuzzFailure, Target, run_target
from tests.fuzz.mutate import mutate
from tests.fuzz.targets import _one_line_problems


def _crash_on_big(n: int, _folder) -> None:
    if n > 10:
        raise KeyError(n)


def _config_error(n: int, _folder) -> None:
    raise ConfigError([f"line {n}", "two\nlines"] if n > 5 else [f"line {n}"])


def test_a_foreign_exception_fails_with_the_shrunk_input():
    target = Target("crash", lambda: st.integers(0, 100), _crash_on_big, (ValueError,), 200)
    with pytest.raises(FuzzFailure, match=r"crash: KeyError: 11 on input 11"):
        run_target(target, rng_seed=0, mutants=0)


def test_the_targets_own_error_passes_and_is_counted():
    target = Target("own", lambda: st.integers(0, 5), _config_error, (ConfigError,), 50, _one_line_problems)
    tally = run_target(target, rng_seed=0, mutants=0)
    assert tally.inputs >= 6 and tally.rejected == tally.inputs


def test_a_multi_line_problem_fails():
    target = Target("lines", lambda: st.integers(0, 100), _config_error, (ConfigError,), 200, _one_line_problems)
    with pytest.raises(FuzzFailure, match="not one-line strings"):
        run_target(target, rng_seed=0, mutants=0)


def test_an_input_over_the_time_limit_fails(monkeypatch):
    monkeypatch.setattr(harness, "LIMIT_S", -1.0)  # every input is "too slow"
    target = Target("slow", lambda: st.integers(0, 3), lambda _n, _f: None, (), 10)
    with pytest.raises(FuzzFailure, match=r"slow: took .* s \(limit -1 s\) on input 0"):
        run_target(target, rng_seed=0, mutants=0)


def test_a_slow_first_time_is_timed_again_once(monkeypatch):
    monkeypatch.setattr(harness, "LIMIT_S", 0.25)
    calls = []

    def slow_once(_n: int, _folder) -> None:
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.5)  # a GC pause or a busy core, not the input

    target = Target("pause", lambda: st.just(0), slow_once, (), 1)
    tally = run_target(target, rng_seed=0, mutants=0)
    assert len(calls) >= 2 and tally.slowest_s < 0.5


def _fail_on_long(text: str, _folder) -> None:
    if len(text) > 50:
        raise IndexError(len(text))


def test_mutants_of_drawn_inputs_are_fed_and_named_in_a_failure():
    target = Target("mutants", lambda: st.just("abc"), _fail_on_long, (), 5)
    assert run_target(target, rng_seed=0, mutants=0).inputs >= 1  # what Hypothesis draws passes
    with pytest.raises(FuzzFailure, match=r"mutants: IndexError: .* \(mutant \d+ of drawn input \d+, seed 7\)"):
        run_target(target, rng_seed=7, mutants=200)


def test_mutants_keep_shape_types_and_fixed_positions():
    example = ({"sel": "a,b", "models": ["x", "y"]}, "hostile", 16, ConfigCase({"name": "n"}, "json"))
    for i in range(300):
        one = mutate(example, random.Random(i), cap=1000, fixed=(1, 2))
        assert one == mutate(example, random.Random(i), cap=1000, fixed=(1, 2))  # seeded: reproducible
        assert isinstance(one, tuple) and len(one) == 4 and one[1:3] == ("hostile", 16)
        assert isinstance(one[0], dict) and one[3].config_format == "json"
        assert all(len(v) <= 1000 for v in one[0].values() if isinstance(v, str))


def test_the_tally_keeps_the_slowest_inputs():
    tally = harness.Tally()
    for i, t in enumerate([0.1, 0.5, 0.2, 0.4, 0.3, 0.05, 0.6]):
        tally.record(t, i)
    assert tally.slowest_s == 0.6 and tally.slowest_input == "6"
    assert [t for t, _ in tally.top] == [0.6, 0.5, 0.4, 0.3, 0.2]
    assert tally.median_s == 0.3
