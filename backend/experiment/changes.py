"""The built-in derived metrics: each primary metric's change against the parent and the root.

Why built in: "how much did this step cost" is the first question of a compression sweep, and
it needs no config. A metric where higher is better, or one with a declared range (bounded,
like an accuracy), changes by a difference: ``Accuracy Δ parent`` = model − parent, signed and
in the metric's own format and unit. A lower-is-better unbounded metric (size, latency) changes
by a ratio: ``Model Size × root`` = model / root, so 0.25 means four times smaller.

A root is its own root (Δ root 0, × root 1) and has no parent, so its "vs parent" value is
missing (NaN), shown as missing everywhere, rather than a made-up 0 or 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from backend.experiment.forest import ExperimentForest, higher_is_better
from backend.experiment.schema import MetricSpec
from backend.present.formatting import spec_parts

AGAINST = ("parent", "root")
RATIO_FORMAT = ".3~r"  # 0.251, 1, 12.3: three significant digits


@dataclass(frozen=True)
class Change:
    """One built-in change metric: which metric, against what, difference or ratio."""

    metric: str
    against: str  # "parent" | "root"
    ratio: bool

    @property
    def name(self) -> str:
        """``Accuracy Δ parent``, ``Model Size × root``."""
        return f"{self.metric} {'×' if self.ratio else 'Δ'} {self.against}"


def is_ratio(spec: MetricSpec) -> bool:
    """Lower-is-better and unbounded (size, latency): a ratio; anything else: a difference."""
    bounded = spec.min is not None and spec.max is not None
    return not higher_is_better(spec) and not bounded


def builtin_changes(metrics: Sequence[MetricSpec]) -> list[Change]:
    """Two changes (vs parent, vs root) per primary metric of these declarations, in their order.

    The primary ones are those flagged, or all when none is (``ExperimentForest.primary_metrics``).
    """
    primary = [m for m in metrics if m.primary] or list(metrics)
    return [Change(spec.name, against, is_ratio(spec)) for spec in primary for against in AGAINST]


def change_spec(change: Change, source: MetricSpec) -> MetricSpec:
    """How a change is shown: a signed difference in the metric's format and unit, or a ratio."""
    verb = "divided by" if change.ratio else "minus"
    about = f"{change.metric} of the model {verb} that of its {change.against}"
    if change.ratio:
        return MetricSpec(name=change.name, format=RATIO_FORMAT, unit="×",
                          higher_is_better=higher_is_better(source), description=about)
    return MetricSpec(name=change.name, format=signed(source.format), unit=source.unit,
                      higher_is_better=higher_is_better(source), description=about)


def signed(fmt: str | None) -> str:
    """A d3-format with a '+' sign for positive values ('.2%' -> '+.2%'); '+.3~g' for none."""
    if not fmt:
        return "+.3~g"
    try:
        p = spec_parts(fmt)
    except ValueError:
        return "+.3~g"
    if p["sign"] is not None:
        return fmt
    align = (p["fill"] or "") + (p["align"] or "")
    rest = "".join(p[k] or "" for k in ("symbol", "zero", "width", "comma"))
    precision = f".{p['precision']}" if p["precision"] is not None else ""
    return f"{align}+{rest}{precision}{p['trim'] or ''}{p['type'] or ''}"


def reference_index(forest: ExperimentForest, against: str) -> np.ndarray:
    """For each model (in forest order) the position of its parent or root; -1 for none."""
    position = {mid: i for i, mid in enumerate(forest.ids)}
    if against == "parent":
        return np.array([-1 if m.base is None else position[m.base] for m in forest], dtype=np.int64)
    out = np.full(len(forest), -1, dtype=np.int64)
    for root in forest.roots:  # one walk per tree: O(models), not O(models x depth)
        here = position[root]
        out[[here, *(position[d] for d in forest.descendants(root))]] = here
    return out


def change_values(values: np.ndarray, reference: np.ndarray, ratio: bool) -> np.ndarray:
    """Model vs reference for one metric's column; NaN where there is no reference."""
    ref = np.where(reference >= 0, values[np.maximum(reference, 0)], np.nan) if len(values) else values
    with np.errstate(all="ignore"):
        return values / ref if ratio else values - ref
