"""P5: the comparability search and the Model Map layout at scale.

* 16 models of one experiment family out of a 10,000-model forest, against the same search
  without memoisation or bounds (the reference's exhaustive search);
* an adversarial tree (a spine with three differently operated children on every level), against
  the exhaustive search where it finishes, and 40 levels deep where it cannot;
* the layout of 10,000 models, against replaying the reference's own sorts exactly.
"""

from __future__ import annotations

import random
import sys
from collections import deque

from backend.comparability import experiment_table, simplify_table
from backend.overview.map_layout import layout
from benchmarks.registry import Result, best_of, workload

OPS = {
    "Prune": {"amount": [0.25, 0.5, 0.75, 0.9], "method": ["magnitude", "gradient"]},
    "Quantize": {"precision": ["int8", "float16", "int4"]},
    "Train": {"epochs": [1, 5, 10, 30]},
    "Calibrate": {"data": ["train batch", "val batch"]},
    "Distill": {"teacher": ["big", "huge"], "temperature": [1, 2, 4]},
}


def synthetic_forest(n: int, seed: int = 0, roots: int = 20) -> list[dict]:
    """A deterministic forest of ``n`` models: ``roots`` trees, five operations, depth ~10."""
    rng = random.Random(seed)
    models: list[dict] = []
    for r in range(min(roots, n)):
        op = None if r % 2 else {"name": "Train", "parameters": {"epochs": 90}}
        models.append({"id": f"root{r}", "base": None, "operation": op, "metrics": {}})
    names = list(OPS)
    while len(models) < n:
        parent = models[int(len(models) * rng.random() ** 0.5)]  # later models: deeper trees
        name = rng.choice(names)
        params = {k: rng.choice(v) for k, v in OPS[name].items()}
        models.append({"id": f"m{len(models)}", "base": parent["id"],
                       "operation": {"name": name, "parameters": params}, "metrics": {}})
    return models


def family_selections(models: list[dict], count: int, seed: int = 1) -> list[list[str]]:
    """``count`` selections of a model and its 15 nearest descendants (what a user compares)."""
    kids: dict = {}
    for m in models:
        kids.setdefault(m["base"], []).append(m["id"])

    def nearest(node: str) -> list[str]:
        out, queue = [], deque([node])
        while queue and len(out) < 16:
            x = queue.popleft()
            out.append(x)
            queue.extend(kids.get(x, []))
        return out

    rng = random.Random(seed)
    ids = [m["id"] for m in models]
    picks: list[list[str]] = []
    while len(picks) < count:
        sel = nearest(rng.choice(ids))
        if len(sel) == 16:
            picks.append(sel)
    return picks


def adversarial(levels: int) -> list[dict]:
    """A spine of ``levels`` levels, each with a Prune, a Quantize and a Train child; the spine
    goes on through the Prune child, so names deduplicate ("Prune 2", ...)."""
    models, spine = [{"id": "root", "base": None, "operation": None}], "root"
    for lvl in range(levels):
        for k, op in enumerate(("Prune", "Quantize", "Train")):
            models.append({"id": f"L{lvl}{op}", "base": spine,
                           "operation": {"name": op, "parameters": {"x": (lvl + k) % 2}}})
        spine = f"L{lvl}Prune"
    return models


def _compare(models: list[dict], selections: list[list[str]], exhaustive: bool) -> list:
    return [simplify_table(experiment_table(models, sel, exhaustive=exhaustive)) for sel in selections]


@workload("P5")
def comparability(quick: bool) -> list[Result]:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # the exhaustive baseline recurses
    out = []
    n = 2_000 if quick else 10_000
    models = synthetic_forest(n)
    sels = family_selections(models, 5 if quick else 20)
    same = _compare(models, sels, False) == _compare(models, sels, True)
    ours = best_of(lambda: _compare(models, sels, False), 3) / len(sels)
    base = best_of(lambda: _compare(models, sels, True), 1) / len(sels)
    out.append(Result(f"P5 compare 16 of {n:,} models (family, per selection)", ours, base,
                      "< 10 ms, same tables", same and ours < 0.010))

    levels = 5 if quick else 6
    tree = adversarial(levels)
    every = [m["id"] for m in tree]
    same = experiment_table(tree, every) == experiment_table(tree, every, exhaustive=True)
    ours = best_of(lambda: experiment_table(tree, every), 3)
    base = best_of(lambda: experiment_table(tree, every, exhaustive=True), 1)
    out.append(Result(f"P5 compare adversarial tree, {levels} levels, all selected", ours, base,
                      "< 1 s, same table", same and ours < 1.0))

    deep = adversarial(40)
    every = [m["id"] for m in deep]
    ours = best_of(lambda: experiment_table(deep, every), 3)
    out.append(Result(f"P5 adversarial 40 levels (base: exhaustive at {levels})", ours, base,
                      "< 1 s", ours < 1.0))
    return out


@workload("P5")
def map_layout(quick: bool) -> list[Result]:
    n = 2_000 if quick else 10_000
    models = synthetic_forest(n)
    out = []
    for mode in ("operation", "step"):
        ours = best_of(lambda mode=mode: layout(models, mode, exact=False), 2 if quick else 3)
        base = best_of(lambda mode=mode: layout(models, mode, exact=True), 1)
        out.append(Result(f"P5 layout {n:,} models by {mode} (base: exact sorts)", ours, base,
                          "< 1 s", ours < 1.0))
    return out
