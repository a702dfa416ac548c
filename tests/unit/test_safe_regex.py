"""User patterns: case-insensitive, one-line errors, never a hang."""

from __future__ import annotations

import time

import pytest

from backend.infra.safe_regex import INVALID, MAX_LENGTH, TOO_SLOW, PatternError, compile_pattern, match_mask


def test_case_insensitive_search():
    pattern = compile_pattern(r"BN\d")
    assert match_mask(pattern, ["bn1.weight", "conv1", "layer.Bn2"]) == [True, False, True]
    assert compile_pattern("") is None and match_mask(None, ["a", "b"]) == [True, True]


@pytest.mark.parametrize("text", ["[", "a**", "(?<name", "x{2,1}"])
def test_invalid_patterns_are_one_line(text: str):
    with pytest.raises(PatternError) as info:
        compile_pattern(text)
    message = str(info.value)
    assert message.startswith("Invalid regular expression: ") and "\n" not in message


def test_caps_on_length_and_repeats():
    with pytest.raises(PatternError, match="longer than"):
        compile_pattern("a" * (MAX_LENGTH + 1))
    t0 = time.monotonic()
    with pytest.raises(PatternError, match="repeat counts are too large"):
        compile_pattern("(?:a{1000}){1000}")  # would take a second just to compile
    assert time.monotonic() - t0 < 0.1
    assert INVALID.format("x") == "Invalid regular expression: x"


def test_catastrophic_pattern_times_out():
    pattern = compile_pattern("(a|aa)+$")
    names = ["a" * 40 + "!"] * 50
    t0 = time.monotonic()
    with pytest.raises(PatternError) as info:
        match_mask(pattern, names, budget_s=0.2)
    assert str(info.value) == TOO_SLOW and time.monotonic() - t0 < 1.0
