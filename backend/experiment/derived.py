"""Derived metrics: columns computed from the others, added to a forest as ordinary metrics.

Why a new forest: the map's colours and sizes, the scatterplot's axes, the Filter tab, Pareto
fronts and budgets and the Compare tab's bar charts all read ``forest.metrics``,
``forest.metric(name)``, ``forest.column(name)`` and ``model.metrics``. A forest whose models
carry the derived values and whose metric list declares them is seen by every one of them, with
no special case anywhere. Each extension is computed once per (forest, definitions) and shared
(the forest is immutable and the answer is the same for every user).

A derived value that is not a finite number (``0 / 0``, ``x / 0``, ``log(0)``, an overflow, a
model missing an input) is missing, as a missing metric is; later definitions may use earlier
ones, and see the same values the forest shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from backend.experiment.changes import builtin_changes, change_spec, change_values, reference_index
from backend.experiment.evaluation import evaluate
from backend.experiment.expressions import ExpressionError, compile_expression
from backend.experiment.forest import ExperimentForest
from backend.experiment.messages import name as printable
from backend.experiment.schema import MetricSpec


@dataclass(frozen=True)
class DerivedMetric:
    """A metric defined by an expression over other metrics (config ``derived_metrics`` or the URL).

    ``primary`` defaults to True: a measure someone defined is one they want in tooltips and in
    the Compare tab's bar charts.
    """

    name: str
    expr: str
    format: str | None = None
    unit: str | None = None
    higher_is_better: bool | None = None
    primary: bool = True
    description: str | None = None

    def spec(self) -> MetricSpec:
        """The metric's declaration, as a declared metric's would be."""
        return MetricSpec(name=self.name, primary=self.primary, format=self.format, unit=self.unit,
                          higher_is_better=self.higher_is_better,
                          description=self.description or f"{self.name} = {self.expr}")


@dataclass(frozen=True)
class Extended:
    """A forest with derived metrics, and why each refused definition was refused."""

    forest: ExperimentForest
    rejected: tuple[tuple[int, str], ...] = ()  # (index among the definitions, one line)


def name_problem(metric: str, known: set[str] | dict[str, object]) -> str | None:
    """Why a derived metric may not take this name (empty, or a metric's already), or None."""
    if not metric.strip():
        return "the name must not be empty"
    if metric in known:
        return f"'{printable(metric)}' is already a metric; pick another name"
    return None


def with_derived(forest: ExperimentForest, definitions: Sequence[DerivedMetric] = ()) -> ExperimentForest:
    """The forest with the built-in changes (``backend.experiment.changes``) and ``definitions``."""
    return extend(forest, definitions, changes=True).forest


def extend(forest: ExperimentForest, definitions: Sequence[DerivedMetric] = (),
           changes: bool = False) -> Extended:
    """``forest`` plus the valid definitions (each checked against the metrics before it), and
    the built-in changes first when ``changes`` is set. Never raises for a bad definition.
    """
    return _extend(forest, tuple(definitions), changes)


@lru_cache(maxsize=16)
def _extend(forest: ExperimentForest, definitions: tuple[DerivedMetric, ...], changes: bool) -> Extended:
    columns: dict[str, np.ndarray] = {}

    def column(metric: str) -> np.ndarray:
        if metric not in columns:
            columns[metric] = forest.column(metric)
        return columns[metric]

    known = {m.name: None for m in forest.metrics}  # ordered, for "did you mean"
    added: list[tuple[MetricSpec, np.ndarray]] = []

    def add(spec: MetricSpec, values: np.ndarray) -> None:
        clean = np.where(np.isfinite(values), values, np.nan)
        columns[spec.name] = clean
        known[spec.name] = None
        added.append((spec, clean))

    if changes:
        _add_changes(forest, column, known, add)
    rejected = []
    for index, definition in enumerate(definitions):
        why = name_problem(definition.name, known)
        if why is None:
            try:
                node = compile_expression(definition.expr, known)
            except ExpressionError as exc:
                why = str(exc)
            else:
                add(definition.spec(), evaluate(node, column, len(forest)))
        if why is not None:
            rejected.append((index, why))
    return Extended(_with_columns(forest, added), tuple(rejected))


def _add_changes(forest: ExperimentForest, column: Callable[[str], np.ndarray], known: dict[str, None],
                 add: Callable[[MetricSpec, np.ndarray], None]) -> None:
    """The built-in changes; a declared metric of the same name wins (its change is left out)."""
    references: dict[str, np.ndarray] = {}
    for change in builtin_changes(forest.metrics):
        source = forest.metric(change.metric)
        if change.name in known or source is None:
            continue
        if change.against not in references:
            references[change.against] = reference_index(forest, change.against)
        add(change_spec(change, source), change_values(column(change.metric), references[change.against],
                                                       change.ratio))


def _with_columns(forest: ExperimentForest, added: list[tuple[MetricSpec, np.ndarray]]) -> ExperimentForest:
    """A new forest whose models carry the added values (finite ones) and whose metrics declare them.

    The primary metrics are written out (all of them when none was flagged), so a primary derived
    metric joins them instead of replacing "every metric is primary".
    """
    if not added:
        return forest
    primary = {m.name for m in forest.primary_metrics}
    specs = [s if s.primary or s.name not in primary else s.model_copy(update={"primary": True})
             for s in forest.metrics]
    names = [spec.name for spec, _ in added]
    rows = np.column_stack([values for _, values in added]).tolist()
    models = {}
    for model, row in zip(forest, rows, strict=True):
        extra = {k: v for k, v in zip(names, row, strict=True) if v == v}  # NaN != NaN: missing
        models[model.id] = replace(model, metrics={**model.metrics, **extra}) if extra else model
    return ExperimentForest(forest.name, models, forest.operations, specs + [s for s, _ in added],
                            list(forest.warnings))
