"""Pareto fronts over two objectives and the "what if the budget relaxes" readout.

No peer tool draws a Pareto front; the paper's participants wanted to argue for a larger
budget (§6.2.1). Both are plain numpy over the metric columns, O(n log n).
"""

from __future__ import annotations

import numpy as np

from backend.experiment.forest import ExperimentForest, higher_is_better
from backend.overview.filters import Budget


def pareto_front(a: np.ndarray, b: np.ndarray, maximize_a: bool, maximize_b: bool) -> np.ndarray:
    """Indices of the non-dominated points (NaN rows excluded), ordered along objective a.

    A point is dominated when another is at least as good in both objectives and strictly
    better in one. Duplicated optimal points are all kept.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ok = np.flatnonzero(np.isfinite(a) & np.isfinite(b))
    if ok.size == 0:
        return ok
    sa = -a[ok] if maximize_a else a[ok]  # minimise both from here on
    sb = -b[ok] if maximize_b else b[ok]
    order = np.lexsort((sb, sa))  # by a, then b
    front = []
    best_b = np.inf
    i = 0
    while i < len(order):  # points tied on a form one group; only its best b can be optimal
        j = i
        while j + 1 < len(order) and sa[order[j + 1]] == sa[order[i]]:
            j += 1
        group = order[i : j + 1]
        gmin = sb[group].min()
        if gmin < best_b:
            front.extend(int(ok[g]) for g in group if sb[g] == gmin)
            best_b = gmin
        i = j + 1
    return np.array(front, dtype=int)


def directions(forest: ExperimentForest, x: str, y: str) -> tuple[bool, bool]:
    """Whether higher is better for each metric (spec's higher_is_better, else a name guess)."""
    spec_x, spec_y = forest.metric(x), forest.metric(y)
    return (higher_is_better(spec_x) if spec_x else True, higher_is_better(spec_y) if spec_y else True)


def budget_steps(values: np.ndarray, budget: Budget, steps: int = 5) -> list[float]:
    """The stated budget and looser ones up to the data's extent (geometric where positive)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [budget.value]
    far = finite.max() if budget.op == "<=" else finite.min()
    if (budget.op == "<=" and far <= budget.value) or (budget.op == ">=" and far >= budget.value):
        return [budget.value]
    if budget.value > 0 and far > 0:
        grid = np.geomspace(budget.value, far, steps)
    else:
        grid = np.linspace(budget.value, far, steps)
    return [float(v) for v in grid]


def relaxation(
    forest: ExperimentForest,
    objective: str,
    budget: Budget,
    steps: int = 5,
    allowed: np.ndarray | None = None,
) -> list[dict]:
    """Best model by ``objective`` under the budget and under each looser step of it."""
    obj = np.array([m.metrics.get(objective, np.nan) for m in forest], dtype=float)
    con = np.array([m.metrics.get(budget.metric, np.nan) for m in forest], dtype=float)
    spec = forest.metric(objective)
    maximize = higher_is_better(spec) if spec else True
    ids = forest.ids
    rows = []
    for limit in budget_steps(con, budget, steps):
        inside = (con <= limit) if budget.op == "<=" else (con >= limit)
        inside &= np.isfinite(obj)
        if allowed is not None:
            inside &= allowed
        if not inside.any():
            rows.append({"limit": limit, "model": None, "value": None, "count": 0})
            continue
        cand = np.flatnonzero(inside)
        best = cand[np.argmax(obj[cand])] if maximize else cand[np.argmin(obj[cand])]
        rows.append(
            {"limit": limit, "model": ids[best], "value": float(obj[best]), "count": int(inside.sum())}
        )
    return rows


def _dir(name: str, maximize: bool) -> str:
    return name.replace("%", "%25").replace(":", "%3A") + (":max" if maximize else ":min")


def encode_pareto(pareto: dict | None) -> str | None:
    """'A:max,B:min' for a shown front (commas and colons in names escaped); None when hidden."""
    if not pareto or not pareto.get("show") or not pareto.get("a") or not pareto.get("b"):
        return None
    from backend.viewstate.codec import encode_ids

    return encode_ids(
        [_dir(pareto["a"], bool(pareto.get("max_a"))), _dir(pareto["b"], bool(pareto.get("max_b")))]
    )


def parse_pareto(text: str | None, forest: ExperimentForest, enc: dict) -> dict | None:
    """Pareto settings from the URL; defaults (scatter axes, hidden) when absent; None if malformed."""
    from urllib.parse import unquote

    from backend.viewstate.codec import decode_ids

    if not text:
        a, b = enc.get("x"), enc.get("y")
        max_a, max_b = directions(forest, a, b) if a and b else (True, True)
        return {"a": a, "b": b, "max_a": max_a, "max_b": max_b, "show": False}
    parts = decode_ids(text)
    if len(parts) != 2:
        return None
    out: dict = {"show": True}
    for key, part in zip(("a", "b"), parts, strict=True):
        name, _, direction = part.rpartition(":") if part.endswith((":max", ":min")) else (part, "", "")
        name = unquote(name)
        if forest.metric(name) is None:
            return None
        out[key] = name
        spec = forest.metric(name)
        out[f"max_{key}"] = direction == "max" if direction else higher_is_better(spec)
    return out
