"""Pareto fronts over two objectives and the "what if the budget relaxes" readout.

No peer tool draws a Pareto front; the paper's participants wanted to argue for a larger
budget (§6.2.1). Both are plain numpy over the metric columns, O(n log n).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from backend.experiment.forest import ExperimentForest, higher_is_better
from backend.overview.filters import Budget, RangeFilter, mask_of, passing_mask


@dataclass(frozen=True)
class Objectives:
    """The two objectives of a front and whether higher is better for each."""

    a: str
    b: str
    max_a: bool
    max_b: bool


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
    obj = forest.column(objective)
    con = forest.column(budget.metric)
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


def front_ids(
    forest: ExperimentForest, objectives: Objectives | None, passing: Iterable[str] | None
) -> list[str]:
    """Ids on the non-dominated front of the passing models (empty when no front is shown)."""
    if objectives is None:
        return []
    a, b = forest.column(objectives.a), forest.column(objectives.b)
    keep = mask_of(forest, passing)
    if keep is not None:  # filtered-out models are not candidates
        a, b = np.where(keep, a, np.nan), np.where(keep, b, np.nan)
    ids = np.array(forest.ids, dtype=object)
    return [str(i) for i in ids[pareto_front(a, b, objectives.max_a, objectives.max_b)]]


def relaxations(
    forest: ExperimentForest,
    a: str | None,
    b: str | None,
    budgets: Sequence[Budget],
    filters: Sequence[RangeFilter] = (),
) -> list[tuple[Budget, str, list[dict]]]:
    """One relaxation readout per budget: (budget, objective, rows), among the brushed models.

    The objective is B, or A when the budget constrains B itself; a budget without an
    objective gets no readout. Budgets do not restrict each other's readouts (only brushes do).
    """
    allowed = passing_mask(forest, filters) if filters else None
    out = []
    for budget in budgets:
        objective = b if b != budget.metric else a
        if objective:
            out.append((budget, objective, relaxation(forest, objective, budget, allowed=allowed)))
    return out
