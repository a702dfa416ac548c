"""Importers: the provenance forest built from where experiments already live.

Why: users keep their runs in MLflow or as Hugging Face ``save_pretrained`` folders with model
cards; writing a models file by hand duplicates what those already say. A config names one
importer instead of a models file::

    models:
      mlflow: {tracking_uri: sqlite:///mlflow.db, experiment: resnet-compression}
    # or
    models:
      huggingface: {folder: ./checkpoints}

Each importer returns the very document a models file parses to (``operations``, ``metrics``,
``models`` as plain dicts), so validation, the cross-field rules and everything downstream are
unchanged. Problems are one line each naming the config, the option and the run or folder.
Each importer also gives a ``ModelSource`` whose cheap ``stamp()`` changes when the models do,
so a running app shows new runs or folders on the next page load (``server.context``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from backend.experiment.messages import describe, name, pydantic_problems
from backend.experiment.schema import (
    HuggingFaceImport,
    MetricSpec,
    MlflowImport,
    did_you_mean,
)
from backend.infra.fork_gate import GATE

__all__ = ["IMPORTERS", "Imported", "ModelSource", "import_models", "stat_stamp", "typed_scalar"]
IMPORTERS: dict[str, type[BaseModel]] = {"mlflow": MlflowImport, "huggingface": HuggingFaceImport}


def stat_stamp(path: Path) -> tuple[int, int, int] | None:
    """(mtime_ns, size, inode) of a file or folder, or None when it cannot be read (the loader's
    ``file_stamp``, here so the importers do not import the loader)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class ModelSource:
    """Where imported models come from; ``stamp()`` is cheap and changes when they do.

    The app asks on every experiment access, so the probe (``probe``: stat calls, or two small
    queries of a tracking server) runs at most every ``min_interval_s``, and a probe that costs
    more than 20 ms (a folder store of thousands of runs) at most every twenty times its cost;
    a probe that fails waits ``retry_s`` before the next (a server that is down must not hold
    every page load for its timeout). The config's own stamp is part of it, so editing the
    importer's options re-reads too.
    """

    def __init__(self, config_path: Path, probe: Callable[[], Any], min_interval_s: float = 0.0,
                 retry_s: float = 0.0) -> None:
        self.config_path = config_path
        self.probe = probe
        self.min_interval_s = min_interval_s
        self.retry_s = retry_s
        # (when, stamp, wait), replaced whole (one atomic assignment: no lock a fork could copy held)
        self._last: tuple[float, tuple | None, float] = (-math.inf, None, 0.0)

    def fresh_stamp(self) -> tuple | None:
        """The stamp now, probing whatever the interval (the loader takes one before reading).

        The probe runs inside the fork gate: a background job is never forked while this thread
        is inside SQLite (an MLflow database) or holds the importers' environment lock.
        """
        start = time.perf_counter()
        try:
            with GATE.shared():
                own = self.probe()
        except Exception:  # noqa: BLE001 - any failure means 'cannot tell now': keep the old models
            own = None
        cost = time.perf_counter() - start
        value = None if own is None else (stat_stamp(self.config_path), own)
        wait = self.retry_s if own is None else max(self.min_interval_s, 20 * cost if cost > 0.02 else 0.0)
        self._last = (time.monotonic(), value, wait)
        return value

    def stamp(self) -> tuple | None:
        """The last stamp when it is recent enough, else a fresh one."""
        when, value, wait = self._last
        if time.monotonic() - when < wait:
            return value
        return self.fresh_stamp()


@dataclass
class Imported:
    """An importer's result: the models document (None when nothing could be read), problems and
    warnings (one line each), the source's stamp taken before reading, and the source."""

    document: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stamp: tuple | None = None
    source: ModelSource | None = None


def typed_scalar(text: str) -> Any:
    """A parameter MLflow stored as text, typed back: '3' -> 3, '0.5' -> 0.5, 'true' -> True,
    'None' -> None; anything else (a name, 'nan', '007', a 30-digit number) stays text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    body = text.strip().lstrip("+-")
    if body.isdigit():  # a leading zero (an id, '007') or a huge number stays text
        return int(text) if len(body) <= 18 and (body == "0" or not body.startswith("0")) else text
    if any(c.isdigit() for c in body) and all(c.isdigit() or c in ".eE+-" for c in body):
        try:
            value = float(text)
        except ValueError:
            return text
        return value if math.isfinite(value) else text
    return text


def _spec_problems(exc: ValidationError, config_path: Path, raw: dict, key: str) -> list[str]:
    """Pydantic's errors for an importer's options, with 'did you mean' among *its* keys."""
    fields = set(IMPORTERS[key].model_fields)
    unknown = {str(e["loc"][0]) for e in exc.errors()
               if e["type"] == "extra_forbidden" and len(e["loc"]) == 1}
    out = [f"{config_path}: models.{key}.{name(bad)}: unknown key{did_you_mean(bad, fields)} "
           f"(the {key} importer takes {', '.join(sorted(fields))})" for bad in sorted(unknown)]
    lines = pydantic_problems(exc, config_path, {"models": {key: raw}}, ("models", key))
    generic = tuple(f"{config_path}: models.{key}.{name(bad, 200)}: unknown key" for bad in unknown)
    return out + [line for line in lines if not line.startswith(generic)]


def import_models(raw: dict[str, Any], config_path: Path, metrics: list[MetricSpec],
                  operations: set[str]) -> Imported:
    """The models document of ``models: {<importer>: {...}}``; ``metrics`` and ``operations`` are
    what the config declares (an importer keeps only declared metrics when there are any, and
    declares only the operations the config does not)."""
    where = f"{config_path}: models"
    keys = [k for k in raw if isinstance(k, str)]
    unknown = [k for k in raw if k not in IMPORTERS]
    if unknown or len(keys) != 1:
        bad = unknown[0] if unknown else None
        hint = did_you_mean(bad, IMPORTERS) if isinstance(bad, str) else ""
        what = (f"unknown importer {describe(bad)}{hint}" if unknown else
                "names no importer" if not raw else "names more than one importer")
        return Imported(problems=[f"{where}: {what}: a mapping here names one importer, mlflow "
                                  "(tracking_uri, experiment) or huggingface (folder); or give a list "
                                  "of models or the path of a models file"])
    key = keys[0]
    options = raw[key]
    if not isinstance(options, dict):
        return Imported(problems=[f"{where}.{key}: must be a mapping of the importer's options, got "
                                  f"{describe(options)}"])
    try:
        spec = IMPORTERS[key].model_validate(options)
    except ValidationError as exc:
        return Imported(problems=_spec_problems(exc, config_path, options, key))
    if key == "mlflow":
        from backend.experiment.importers.mlflow_runs import import_mlflow

        assert isinstance(spec, MlflowImport)
        return import_mlflow(spec, config_path, metrics, operations)
    from backend.experiment.importers.hf_folders import import_hf_folders

    assert isinstance(spec, HuggingFaceImport)
    return import_hf_folders(spec, config_path, metrics, operations)


def select_metrics(values: dict[str, float | None],
                   declared: dict[str, MetricSpec]) -> dict[str, float | None]:
    """The metrics a model shows: the declared ones when the config declares any, else all."""
    if not declared:
        return values
    return {k: v for k, v in values.items() if k in declared}


def finite_or_none(value: Any) -> float | None:
    """A metric value as a float, None for anything else (NaN, inf, text): imported stores hold
    values a models file would refuse; they show as missing, with a warning by the caller."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def declare_operations(entries: list[dict[str, Any]], declared: set[str]) -> list[dict[str, Any]]:
    """Declarations for the operations the config does not declare, with the parameters the
    models use (so imported runs do not warn 'used but not declared' once per operation)."""
    found: dict[str, dict[str, dict]] = {}
    for entry in entries:
        op = entry.get("operation")
        if op and op["name"] not in declared:
            params = found.setdefault(op["name"], {})
            for param in op["parameters"]:
                params.setdefault(param, {})
    return [{"name": op, "parameters": params} for op, params in found.items()]
