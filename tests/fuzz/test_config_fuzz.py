"""Fuzz the config loader: structured experiments.yaml / models documents, and raw bytes."""

from __future__ import annotations

import pytest

from tests.fuzz.harness import run_target
from tests.fuzz.targets import TARGETS


@pytest.mark.parametrize("name", ["config-structured", "config-raw"])
def test_config_loader_raises_only_one_line_config_errors(name: str):
    tally = run_target(TARGETS[name])
    assert tally.inputs >= TARGETS[name].ci_examples
