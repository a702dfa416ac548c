"""Fuzz every page's URL parser and the codec: they never raise, and the view they return is a
bookmark (written back and parsed again, it stays the same)."""

from __future__ import annotations

import pytest

from tests.fuzz.harness import run_target
from tests.fuzz.targets import TARGETS

URL_TARGETS = [name for name in TARGETS if name.startswith("url-")]


@pytest.mark.parametrize("name", URL_TARGETS)
def test_url_parsers_never_raise(name: str):
    tally = run_target(TARGETS[name])
    assert tally.inputs >= TARGETS[name].ci_examples
