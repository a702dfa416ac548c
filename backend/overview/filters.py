"""Metric range filters and budgets as boolean masks over the forest.

Semantics of the reference (spec §1.6): bounds are inclusive and a model that lacks a filtered
metric fails that filter. Budgets ("Model Size ≤ 8e6") are one-sided filters the user states as
a constraint; both are plain masks, never interpolated query strings. Their URL form lives in
``backend.viewstate.overview``; here is only the maths.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from backend.experiment.forest import ExperimentForest
from backend.present.scales import domain


@dataclass(frozen=True)
class RangeFilter:
    """lo ≤ metric ≤ hi (a budget's open end is infinite)."""

    metric: str
    lo: float
    hi: float


@dataclass(frozen=True)
class Budget:
    """metric ≤ value (or ≥ for metrics where higher is the constraint, e.g. accuracy)."""

    metric: str
    op: str  # "<=" or ">="
    value: float

    def as_filter(self) -> RangeFilter:
        """The same constraint as a one-sided range."""
        if self.op == "<=":
            return RangeFilter(self.metric, -math.inf, self.value)
        return RangeFilter(self.metric, self.value, math.inf)


def within_domain(forest: ExperimentForest, metric: str, lo: float, hi: float) -> tuple[float, float]:
    """A range cut to the metric's domain: a brush dragged past the axis ends (or an open end)
    means "up to the end of the data"."""
    dlo, dhi = domain(forest.metric(metric), forest.column(metric))
    return max(lo, dlo), min(hi, dhi)


def constraints(filters: Iterable[RangeFilter], budgets: Iterable[Budget] = ()) -> list[RangeFilter]:
    """Brushed ranges and budgets as one list of ranges: a model must pass all of them."""
    return [*filters, *(b.as_filter() for b in budgets)]


def passing_mask(forest: ExperimentForest, filters: Sequence[RangeFilter]) -> np.ndarray:
    """True for models inside every range (inclusive); a missing metric fails (NaN compares False)."""
    mask = np.ones(len(forest), dtype=bool)
    for f in filters:
        values = forest.column(f.metric)
        mask &= (values >= f.lo) & (values <= f.hi)
    return mask


def passing_ids(forest: ExperimentForest, filters: Sequence[RangeFilter]) -> list[str] | None:
    """Ids passing all filters, in forest order; None when no filter is active (all pass)."""
    if not filters:
        return None
    mask = passing_mask(forest, filters)
    return [mid for mid, ok in zip(forest.ids, mask, strict=True) if ok]


def mask_of(forest: ExperimentForest, ids: Iterable[str] | None) -> np.ndarray | None:
    """The boolean mask (forest order) of a list of passing ids; None when nothing filters."""
    if ids is None:
        return None
    return np.isin(np.array(forest.ids, dtype=object), list(ids))
