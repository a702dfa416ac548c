"""P0 load: parse and validate a 10,000-model forest vs a bare ``json.load`` of the same file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from backend.experiment.loader import load_experiment
from benchmarks.registry import Result, best_of, workload
from tests.support.forests import synthetic_models_doc

GOAL_RATIO = 10.0


@workload("P0")
def p0_load(quick: bool) -> list[Result]:
    """Full load (parse, normalise, pydantic validation, forest invariants) next to json.load."""
    n = 10_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "forest.json"
        path.write_text(json.dumps(synthetic_models_doc(n)))
        repeat = 2 if quick else 5
        ours = best_of(lambda: load_experiment(path), repeat)
        base = best_of(lambda: json.loads(path.read_text()), repeat)
    return [Result(f"P0 load {n:,} models (vs json.load)", ours, base,
                   f"ratio <= {GOAL_RATIO:g}, < 1 s", ours / base <= GOAL_RATIO and ours < 1.0)]
