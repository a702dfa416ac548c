"""The experiment forest: models linked by ``base``, with fast ancestry queries.

Built once per load and never mutated afterwards, so every gunicorn worker and every request can
share it safely. Queries cost O(size of the answer).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from backend.experiment.schema import MetricSpec, OperationSpec

_LATENCY_OR_SIZE = ("latency", "size", "time", "loss", "error", "bytes", "params", "flops", "memory")


@dataclass(frozen=True, slots=True)
class Operation:
    """What was applied to the parent to derive a model."""

    name: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Model:
    """One node of the forest. ``metrics`` holds only present, finite values; ``created`` is an
    aware UTC time, or None where the models file does not say when the model was made."""

    id: str
    tag: str | None
    base: str | None
    operation: Operation | None
    metrics: Mapping[str, float]
    checkpoint: Path | None = None
    created: datetime | None = None

    @property
    def title(self) -> str:
        """The tag when there is one, else the id (the reference's tooltip title)."""
        return self.tag or self.id

    def as_record(self) -> dict[str, Any]:
        """Plain-dict form used by the comparability engine and the map layout."""
        op = None
        if self.operation is not None:
            op = {"name": self.operation.name, "parameters": dict(self.operation.parameters)}
        return {"id": self.id, "base": self.base, "operation": op, "tag": self.tag,
                "metrics": dict(self.metrics)}


def higher_is_better(spec: MetricSpec) -> bool:
    """Direction of a metric: the spec's word, else a guess from its name (latency, size: lower)."""
    if spec.higher_is_better is not None:
        return spec.higher_is_better
    lowered = spec.name.lower()
    return not any(word in lowered for word in _LATENCY_OR_SIZE)


@dataclass(eq=False)  # identity hashing: derived views are cached per forest
class ExperimentForest:
    """Validated models plus their operation and metric specs (see ``backend.experiment.loader``)."""

    name: str
    models: Mapping[str, Model]
    operations: Mapping[str, OperationSpec]
    metrics: list[MetricSpec]
    warnings: list[str] = field(default_factory=list)
    _children: dict[str, list[str]] = field(init=False, repr=False)
    _roots: list[str] = field(init=False, repr=False)
    _depth: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.models = MappingProxyType(dict(self.models))
        self._children = {mid: [] for mid in self.models}
        self._roots = []
        for mid, model in self.models.items():
            if model.base is None:
                self._roots.append(mid)
            else:
                self._children[model.base].append(mid)
        self._depth = {}
        stack = [(r, 0) for r in reversed(self._roots)]
        while stack:
            mid, d = stack.pop()
            self._depth[mid] = d
            stack.extend((c, d + 1) for c in reversed(self._children[mid]))

    # --- basic access ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.models)

    def __iter__(self) -> Iterator[Model]:
        return iter(self.models.values())

    def __contains__(self, model_id: object) -> bool:
        return model_id in self.models

    def __getitem__(self, model_id: str) -> Model:
        return self.models[model_id]

    @property
    def ids(self) -> list[str]:
        """Model ids in file order."""
        return list(self.models)

    @property
    def roots(self) -> list[str]:
        """Models without a base, in file order."""
        return list(self._roots)

    @property
    def primary_metrics(self) -> list[MetricSpec]:
        """Metrics flagged primary; all metrics when none is (spec §0)."""
        primary = [m for m in self.metrics if m.primary]
        return primary or list(self.metrics)

    def metric(self, name: str) -> MetricSpec | None:
        """The spec of a metric by name, or None."""
        return next((m for m in self.metrics if m.name == name), None)

    def column(self, metric: str, ids: Iterable[str] | None = None) -> np.ndarray:
        """One metric over the forest (or over ``ids``) as float64, NaN where a model lacks it.

        The single place a metric's column is built: filters, Pareto fronts, budgets, map
        colours and sizes all read it, so "missing" means the same everywhere.
        """
        models = self.models.values() if ids is None else (self.models[i] for i in ids)
        return np.array([m.metrics.get(metric, np.nan) for m in models], dtype=np.float64)

    def records(self) -> list[dict[str, Any]]:
        """Every model as a plain dict (input of comparability and map layout)."""
        return [m.as_record() for m in self.models.values()]

    # --- ancestry -------------------------------------------------------------------------
    def parent(self, model_id: str) -> str | None:
        """The base of a model."""
        return self.models[model_id].base

    def children(self, model_id: str) -> list[str]:
        """Direct children in file order."""
        return list(self._children[model_id])

    def depth(self, model_id: str) -> int:
        """Number of operations between the model and its root (roots are 0)."""
        return self._depth[model_id]

    def path(self, model_id: str) -> list[str]:
        """Ids from the root down to ``model_id`` inclusive."""
        out = [model_id]
        while (base := self.models[out[-1]].base) is not None:
            out.append(base)
        return out[::-1]

    def ancestors(self, model_id: str) -> list[str]:
        """Ids from the root down to the parent (excludes the model itself)."""
        return self.path(model_id)[:-1]

    def root_of(self, model_id: str) -> str:
        """The root of the tree that holds ``model_id``."""
        return self.path(model_id)[0]

    def descendants(self, model_id: str) -> list[str]:
        """All models below ``model_id`` (pre-order), excluding itself."""
        out: list[str] = []
        stack = list(reversed(self._children[model_id]))
        while stack:
            mid = stack.pop()
            out.append(mid)
            stack.extend(reversed(self._children[mid]))
        return out

    def expand(self, ids: Iterable[str], how: str) -> list[str]:
        """Selection expansion of the map's buttons: parents, children, ancestors, descendants.

        Unlike the reference (spec §6) every mode *adds* to the selection, so the four buttons
        behave alike. Order: the original ids first, then new ones in forest order.
        """
        base = [i for i in ids if i in self.models]
        extra: set[str] = set()
        for mid in base:
            if how == "parents":
                if (p := self.models[mid].base) is not None:
                    extra.add(p)
            elif how == "children":
                extra.update(self._children[mid])
            elif how == "ancestors":
                extra.update(self.ancestors(mid))
            elif how == "descendants":
                extra.update(self.descendants(mid))
            else:
                raise ValueError(f"unknown expansion {how!r}")
        seen = set(base)
        return base + [m for m in self.models if m in extra and m not in seen]
