"""P10 derived metrics: a user's expression over 10,000 models, and the forest that carries them.

* The expression ``Accuracy / (`Model Size` / 1e6) + max(Accuracy, 0.5) ** 2 - (Latency > 10)``
  parsed, its three columns read from the 10,000 models, and evaluated
  (``backend.experiment.expressions``, ``backend.experiment.evaluation``), against reading the
  same columns and the same formula written by hand in numpy. Goal: 50 ms.
* The Overview's forest (``backend.experiment.derived.with_derived``): the 8 built-in changes
  of the 4 primary metrics and that expression, columns read from the models and the new models
  built, against reading the 4 metric columns the changes start from. It runs once per forest and
  set of definitions (then it is a cache hit); the goal is the map layout's budget, 1 s.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from backend.experiment import derived
from backend.experiment.derived import DerivedMetric
from backend.experiment.evaluation import evaluate
from backend.experiment.expressions import compile_expression
from backend.experiment.loader import load_experiment
from benchmarks.registry import Result, best_of, workload
from tests.support.forests import synthetic_models_doc

EXPR = "Accuracy / (`Model Size` / 1e6) + max(Accuracy, 0.5) ** 2 - (Latency > 10)"
GOAL_S, FOREST_GOAL_S = 0.050, 1.0
METRICS = ("Accuracy", "Latency", "Model Size", "Sparsity")


def _by_hand(cols: dict[str, np.ndarray]) -> np.ndarray:
    acc, size, latency = cols["Accuracy"], cols["Model Size"], cols["Latency"]
    with np.errstate(all="ignore"):
        return acc / (size / 1e6) + np.maximum(acc, 0.5) ** 2 - (latency > 10)


@workload("P10")
def p10_derived(quick: bool) -> list[Result]:
    """Parse + evaluate one expression, and the forest with the built-in changes and it."""
    n = 10_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "forest.json"
        path.write_text(json.dumps(synthetic_models_doc(n)))
        forest = load_experiment(path).forest
    names = [m.name for m in forest.metrics]

    def ours_once() -> np.ndarray:
        return evaluate(compile_expression(EXPR, names), forest.column, n)

    def by_hand_once() -> np.ndarray:
        return _by_hand({m: forest.column(m) for m in ("Accuracy", "Model Size", "Latency")})

    assert np.allclose(ours_once(), by_hand_once(), equal_nan=True)
    repeat = 3 if quick else 7
    ours, base = best_of(ours_once, repeat), best_of(by_hand_once, repeat)
    rows = [Result(f"P10 derived metric {n:,} models: parse, columns, eval", ours, base,
                   f"<= {GOAL_S * 1000:.0f} ms", ours <= GOAL_S)]
    definition = (DerivedMetric("score", EXPR),)

    def build() -> None:
        derived._extend.cache_clear()
        derived.with_derived(forest, definition)

    ours = best_of(build, 3 if quick else 5)
    base = best_of(lambda: [forest.column(m) for m in METRICS], 3 if quick else 5)
    rows.append(Result(f"P10 Overview forest {n:,} models: 8 changes + 1 derived", ours, base,
                       f"<= {FOREST_GOAL_S:.0f} s", ours <= FOREST_GOAL_S))
    print(f"P10: one derived metric over {n:,} models in {rows[0].ours_s * 1000:.2f} ms "
          f"(goal {GOAL_S * 1000:.0f} ms; numpy by hand {rows[0].baseline_s * 1000:.2f} ms)")
    return rows
