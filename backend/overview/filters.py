"""Metric range filters and budgets: boolean masks over the forest, and their URL form.

Semantics of the reference (spec §1.6): bounds are inclusive and a model that lacks a filtered
metric fails that filter. Budgets ("Model Size ≤ 8e6") are one-sided filters the user states as
a constraint; both are plain masks, never interpolated query strings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from backend.experiment.forest import ExperimentForest

_BUDGET = re.compile(r"^(?P<metric>.+?)\s*(?P<op><=|>=|≤|≥)\s*(?P<value>[-+0-9.eE]+|inf|-inf)$")


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace(";", "%3B").replace(":", "%3A")


def _unescape(text: str) -> str:
    return text.replace("%3A", ":").replace("%3B", ";").replace("%25", "%")


@dataclass(frozen=True)
class RangeFilter:
    """lo ≤ metric ≤ hi (either end may be infinite)."""

    metric: str
    lo: float
    hi: float

    def encode(self) -> str:
        """'metric:lo:hi' with ':' and ';' inside the name escaped."""
        return f"{_escape(self.metric)}:{self.lo:.6g}:{self.hi:.6g}"


@dataclass(frozen=True)
class Budget:
    """metric ≤ value (or ≥ for metrics where higher is the constraint, e.g. accuracy)."""

    metric: str
    op: str  # "<=" or ">="
    value: float

    def encode(self) -> str:
        """'metric<=value' with ';' inside the name escaped."""
        return f"{_escape(self.metric)}{self.op}{self.value:.6g}"

    def as_filter(self) -> RangeFilter:
        """The same constraint as a one-sided range."""
        if self.op == "<=":
            return RangeFilter(self.metric, -math.inf, self.value)
        return RangeFilter(self.metric, self.value, math.inf)


def parse_filters(text: str | None, metrics: set[str]) -> tuple[list[RangeFilter], list[str]]:
    """Filters from 'm:lo:hi;m2:lo:hi'; unknown metrics or malformed parts become notices."""
    out, problems = [], []
    for part in (text or "").split(";"):
        if not part:
            continue
        bits = part.split(":")
        if len(bits) != 3:
            problems.append(f"filter '{_unescape(part)}' is not metric:low:high")
            continue
        name = _unescape(bits[0])
        try:
            lo, hi = float(bits[1]), float(bits[2])
        except ValueError:
            problems.append(f"filter '{_unescape(part)}': bounds must be numbers")
            continue
        if name not in metrics:
            problems.append(f"filter on unknown metric '{name}'")
        elif math.isnan(lo) or math.isnan(hi) or lo > hi:
            problems.append(f"filter '{name}': low bound must not exceed the high bound")
        else:
            out.append(RangeFilter(name, lo, hi))
    return out, problems


def parse_budgets(text: str | None, metrics: set[str]) -> tuple[list[Budget], list[str]]:
    """Budgets from 'Model Size<=8e6;Latency<=20'; bad parts become notices."""
    out, problems = [], []
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        match = _BUDGET.match(_unescape(part.strip()))
        if not match:
            problems.append(f"budget '{part}' is not like 'Model Size<=8e6'")
            continue
        name = match["metric"].strip()
        op = {"≤": "<=", "≥": ">="}.get(match["op"], match["op"])
        if name not in metrics:
            problems.append(f"budget on unknown metric '{name}'")
            continue
        out.append(Budget(name, op, float(match["value"])))
    return out, problems


def metric_column(forest: ExperimentForest, metric: str) -> np.ndarray:
    """Values of one metric in forest order, NaN where missing."""
    return np.array([m.metrics.get(metric, np.nan) for m in forest], dtype=float)


def passing_mask(forest: ExperimentForest, filters: list[RangeFilter]) -> np.ndarray:
    """True for models inside every range (inclusive); a missing metric fails (NaN compares False)."""
    mask = np.ones(len(forest), dtype=bool)
    for f in filters:
        values = metric_column(forest, f.metric)
        mask &= (values >= f.lo) & (values <= f.hi)
    return mask


def passing_ids(forest: ExperimentForest, filters: list[RangeFilter]) -> list[str] | None:
    """Ids passing all filters, in forest order; None when no filter is active (all pass)."""
    if not filters:
        return None
    mask = passing_mask(forest, filters)
    return [mid for mid, ok in zip(forest.ids, mask, strict=True) if ok]
