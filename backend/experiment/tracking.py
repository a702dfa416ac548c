"""``ExperimentLog``: record models from your own training scripts into a models file.

Like the reference's LocalModelMonitor (spec §2.1), but every write is atomic (a reader never
sees half a file) and the app re-reads the file when it changes, so a running experiment's new
models appear on the next page load. Creating the log writes the (empty) file, so the app can be
started on it before the first model arrives; declarations and models are checked by the same
rules as the loader's (one-line ValueError naming the metric, operation or model).

    log = ExperimentLog("runs/models.yaml")
    log.set_metric("Accuracy", primary=True, format=".2%", min=0, max=1, higher_is_better=True)
    log.set_operation("prune", amount={"format": ".0%"})
    log.log_model("base", metrics={"Accuracy": 0.91}, checkpoint="ckpt/base.pt")
    log.log_model("p50", base="base", operation=("prune", {"amount": 0.5}), metrics={"Accuracy": 0.9})
"""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from backend.experiment.messages import name as msg_name
from backend.experiment.messages import pydantic_problems
from backend.experiment.rules import format_problem, outside_range, range_problems
from backend.experiment.safe_yaml import read_document
from backend.experiment.schema import MetricSpec, ModelEntry, OperationSpec, did_you_mean
from backend.experiment.structure import check_forest
from backend.experiment.times import iso_utc, parse_created

_SCALARS = (str, int, float, bool, type(None))


class ExperimentLog:
    """Appends models, operations and metrics to one YAML models file, atomically."""

    def __init__(self, path: str | Path, name: str | None = None) -> None:
        self.path = Path(path)
        if self.path.exists():
            doc = read_document(self.path) or {}
        else:
            doc = {}
        self.doc: dict[str, Any] = {"name": doc.get("name") or name or self.path.stem,
                                    "operations": list(doc.get("operations") or []),
                                    "metrics": list(doc.get("metrics") or []),
                                    "models": list(doc.get("models") or [])}
        if not self.path.exists():
            self._write()

    # --- declarations ----------------------------------------------------------------------
    def set_metric(self, name: str, primary: bool = False, format: str | None = None,
                   unit: str | None = None, min: float | None = None, max: float | None = None,
                   higher_is_better: bool | None = None) -> None:
        """Declare (or update) a metric; None values (and primary=False) are left out of the file.

        Leaving defaults out keeps a config that declares the same metric free of conflicts.
        """
        where = f"{self.path}: metric '{name}'"
        if format is not None and not isinstance(format, str):
            raise ValueError(f"{where}: format: must be a string, got {format!r}")
        if format is not None and (why := format_problem(format)):
            raise ValueError(f"{where}: format: {why}")
        for key, value in (("min", min), ("max", max)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{where}: {key}: must be a number, got {value!r}")
        for key, message in range_problems(min, max):
            raise ValueError(f"{where}: {key}: {message}")
        spec = {"name": name, "primary": primary or None, "format": format, "unit": unit, "min": min,
                "max": max, "higher_is_better": higher_is_better}
        self._upsert("metrics", {k: v for k, v in spec.items() if v is not None})

    def set_operation(self, name: str, **parameters: dict[str, Any]) -> None:
        """Declare (or update) an operation and its parameters' display specs."""
        for key, spec in parameters.items():
            fmt = dict(spec).get("format")
            where = f"{self.path}: operation '{name}': parameters.{key}.format"
            if fmt is not None and not isinstance(fmt, str):
                raise ValueError(f"{where}: must be a string, got {fmt!r}")
            if fmt is not None and (why := format_problem(fmt)):
                raise ValueError(f"{where}: {why}")
        self._upsert("operations", {"name": name, "parameters": {k: dict(v) for k, v in parameters.items()}})

    # --- models ------------------------------------------------------------------------------
    def log_model(self, model_id: str, base: str | None = None,
                  operation: str | tuple[str, dict] | dict | None = None,
                  metrics: dict[str, float] | None = None, checkpoint: str | Path | None = None,
                  tag: str | None = None, created: datetime | str | None = None) -> None:
        """Add one model; a one-line ValueError names the model and field when it is invalid.

        ``created`` (default: now) is written as ISO 8601 UTC to the second, so the Model Map's
        timeline shows when each model was made; pass it when logging a model made earlier.
        """
        ids = {m["id"] for m in self.doc["models"]}
        where = f"{self.path}: model '{model_id}'"
        when = datetime.now(UTC) if created is None else parse_created(created)
        if when is None:
            raise ValueError(f"{where}: created: must be an ISO 8601 time or a datetime, got {created!r}")
        if model_id in ids:
            raise ValueError(f"{where}: id: duplicate id (ids must be unique)")
        if base is not None and base not in ids:
            raise ValueError(f"{where}: base: '{base}' is not a logged model{did_you_mean(base, ids)}")
        specs = {m["name"]: m for m in self.doc["metrics"]}
        declared = set(specs)
        clean: dict[str, float | None] = {}
        for key, value in (metrics or {}).items():
            if key not in declared:
                raise ValueError(f"{where}: metrics.{key}: metric is not declared with set_metric"
                                 f"{did_you_mean(key, declared)}")
            if value is not None and not (isinstance(value, int | float) and math.isfinite(value)):
                raise ValueError(f"{where}: metrics.{key}: must be a finite number, got {value!r}")
            spec = MetricSpec.model_validate(specs[key])
            if value is not None and (why := outside_range(float(value), spec.min, spec.max, f"'{key}'")):
                raise ValueError(f"{where}: metrics.{key}: {why}")
            clean[key] = None if value is None else float(value)
        entry: dict[str, Any] = {"id": model_id, "base": base, "metrics": clean}
        if tag:
            entry["tag"] = tag
        declare = None
        if operation is not None:
            entry["operation"], declare = self._operation(operation, where)
        if checkpoint is not None:
            entry["checkpoint"] = self._relative(Path(checkpoint))
        entry["created"] = iso_utc(when)
        self._refuse_what_loading_would(entry)
        if declare is not None:
            self.doc["operations"].append(declare)
        self.doc["models"].append(entry)
        self._write()

    # --- internals ---------------------------------------------------------------------------
    def _refuse_what_loading_would(self, entry: dict[str, Any]) -> None:
        """Run the loader's checks with the new model: a logged model never makes the file one
        the app refuses (a near miss of a declared operation, a NaN parameter, an option...)."""
        where = f"{self.path}: model '{msg_name(entry['id'])}'"
        try:
            new = ModelEntry.model_validate(entry)
        except ValidationError as exc:
            problems = pydantic_problems(exc, self.path, {"models": [entry]}, ("models", 0))
            raise ValueError(problems[0]) from None
        try:
            entries = [ModelEntry.model_validate(m) for m in self.doc["models"]] + [new]
            ops = [OperationSpec.model_validate(o) for o in self.doc["operations"]]
            specs = [MetricSpec.model_validate(m) for m in self.doc["metrics"]]
        except ValidationError:  # a hand-edited file the loader reports itself
            return
        checked = check_forest(self.doc["name"], entries, ops, specs, self.path)
        mine = [p for p in checked.problems if p.startswith(where + ":")]
        if mine:
            raise ValueError(mine[0])

    def _operation(self, operation: Any, where: str) -> tuple[dict, dict | None]:
        """The model's operation, and its declaration when it is new (added once the model is)."""
        if isinstance(operation, str):
            name, params = operation, {}
        elif isinstance(operation, tuple):
            name, params = operation
        else:
            name, params = operation.get("name"), operation.get("parameters") or {}
        for key, value in params.items():
            if not isinstance(value, _SCALARS):
                raise ValueError(f"{where}: operation.parameters.{key}: must be a scalar, got {value!r}")
        declare = None
        if name not in {o["name"] for o in self.doc["operations"]}:
            declare = {"name": name, "parameters": {k: {} for k in params}}
        return {"name": name, "parameters": dict(params)}, declare

    def _relative(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.path.parent.resolve()))
        except ValueError:
            return str(path.resolve())

    def _upsert(self, key: str, spec: dict) -> None:
        items = self.doc[key]
        for i, item in enumerate(items):
            if item.get("name") == spec["name"]:
                items[i] = spec
                break
        else:
            items.append(spec)
        self._write()

    def _write(self) -> None:
        """Write to a temporary file, then rename: readers see the old or the new file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(yaml.safe_dump(self.doc, sort_keys=False, allow_unicode=True))
        os.replace(tmp, self.path)
