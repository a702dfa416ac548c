"""Fuzz the typed expressions: budgets, filter bounds and stores, the regex filter, the map search."""

from __future__ import annotations

import pytest

from tests.fuzz.harness import run_target
from tests.fuzz.targets import TARGETS

EXPRESSION_TARGETS = [name for name in TARGETS if name.startswith("expr-")]


@pytest.mark.parametrize("name", EXPRESSION_TARGETS)
def test_expressions_raise_only_their_error_and_stay_fast(name: str):
    tally = run_target(TARGETS[name])
    assert tally.inputs >= TARGETS[name].ci_examples


def test_every_target_is_run_by_one_test_module():
    grouped = {n for n in TARGETS if n.split("-")[0] in ("config", "url", "expr")}
    assert grouped == set(TARGETS)
