"""Every input the fuzzers (or a look at what they missed) found crashing or hanging a parser,
pinned so it stays fixed whatever a random run draws. Each goes through its target's property."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.config_strategies import ConfigCase, RawCase
from tests.fuzz.harness import Tally, feed_one
from tests.fuzz.targets import TARGETS

BIG = "9" * 5000  # past Python's 4,300-digit int() limit
FOUND = [
    # backend/experiment/safe_yaml.py: PyYAML constructors raised past the one-line error
    ("config-raw", RawCase(b"!!int ", ".yaml")),  # IndexError
    ("config-raw", RawCase(b"!!bool ", ".yaml")),  # KeyError
    ("config-raw", RawCase(b"a: !!timestamp x\n", ".yaml")),  # AttributeError
    ("config-raw", RawCase(b"name: 2020-13-45\nmodels: []\n", ".yaml")),  # ValueError: month
    ("config-raw", RawCase(f"name: x\nmodels:\n- id: a\n  metrics: {{m: {BIG}}}\n".encode(), ".yaml")),
    ("config-raw", RawCase(f'{{"name": "x", "models": [{{"id": {BIG}}}]}}'.encode(), ".json")),
    # safe_yaml.py: PyYAML's scanner raised ValueError (chr() out of range) for a "\U00724351" escape
    ("config-raw", RawCase(b'description: "\\U00724351"\n', ".yaml")),
    # safe_yaml.py: st_size of /dev/zero is 0, and reading it never ended (MemoryError)
    ("config-structured", ConfigCase({"name": "x", "models": "/dev/zero"}, "yaml")),
    # safe_yaml.py: PyYAML's scanner does work per token that grows with the flow level (3.4 s)
    ("config-raw", RawCase(b"{" * 4000, ".yaml")),
    ("config-raw", RawCase(b"a: " + b"[" * 4000, ".yml")),
    # loader.py / check.py: Path.exists() raises OSError (ENAMETOOLONG) for a 300-character name
    ("config-structured", ConfigCase({"name": "x", "models": "a" * 300}, "yaml")),
    ("config-structured", ConfigCase({"name": "x", "models": [{"id": "m", "checkpoint": "a" * 300}]}, "json")),
    # messages.py, loader.py, check.py: a newline in a key or a path split a problem over two lines
    ("config-structured", ConfigCase({"operations": [{"name": "acc", "parameters": {"\n": None}}]}, "yaml")),
    ("config-structured", ConfigCase({"operations": [{"\n": None}]}, "yaml")),
    ("config-structured", ConfigCase({"name": "x", "models": "\n"}, "yaml")),
    ("config-raw", RawCase(b"namename: ''\nmodels:\n- id: root\n  checkpoint: '\n\n    '\n", ".yaml")),
    # backend/viewstate/overview.py: the budget pattern was quadratic in a run of blanks (3 s at 16 KB)
    ("expr-budget", ("a" + " " * 30_000 + "x", "hostile")),
    ("expr-budget", ("acc<=0;Model Size" + " " * 30_000 + "≤ lots", "hostile")),
    # overview.py store_filters / store_budgets: a row naming no metric (a hand-made request)
    ("expr-filter", ("", [], [{"lo": 0.0, "metric": [None], "value": 0.0}], "hostile")),
    ("expr-filter", ("", [{"metric": True, "lo": 0, "hi": 1}, "row"], [], "hostile")),
    # backend/infra/safe_regex.py: an inline (?V1) against the VERSION0 flag raised KeyError
    ("expr-regex", ("(?V1)", ["encoder"])),
    # backend/viewstate/refine.py: '²'.isdigit() is True but int('²') raises; so do 5,000 digits
    ("url-refine", ("²:x", 0, "x", [])),
    ("url-refine", (BIG + ":x;1:y", 1, "y", [])),
    # backend/viewstate/codec.py build_query: a lone surrogate (a hand-made request) broke to_query
    ("url-layers", ({"sel": "\ud800", "match": "\udfff"}, "hostile")),
    ("url-pasted", ("?sel=&match=\ud800", "hostile")),
]


@pytest.mark.parametrize(("name", "example"), FOUND, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FOUND)])
def test_found_inputs_stay_fixed(name: str, example: object, tmp_path: Path):
    feed_one(TARGETS[name], example, tmp_path, Tally())
