"""Load ``experiments.yaml`` (or a models file given directly) into a validated forest.

Every problem becomes one line naming the file, the model id and the field, and all problems
are collected before raising, so a user fixes a broken file in one pass.
"""

from __future__ import annotations

import importlib
import math
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from backend.experiment.forest import ExperimentForest, Model, Operation
from backend.experiment.safe_yaml import DocumentError, read_document
from backend.experiment.schema import (
    BackgroundSpec,
    ExperimentConfig,
    InspectorSpec,
    MetricSpec,
    ModelEntry,
    ModelsFile,
    OperationSpec,
    did_you_mean,
    normalise_document,
)

_MODEL_LIST = TypeAdapter(list[ModelEntry])
_MODEL_FIELDS = set(ModelEntry.model_fields)


class ConfigError(Exception):
    """A config or models file that cannot be used; ``problems`` holds one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, eq=False)  # identity hashing: per-experiment caches
class Experiment:
    """A loaded experiment: the forest plus where its files and caches live."""

    config_path: Path
    models_path: Path
    cache_dir: Path
    forest: ExperimentForest
    inspector: InspectorSpec | None
    background: BackgroundSpec = field(default_factory=BackgroundSpec)

    def summary(self) -> str:
        """One line ending in 'N models, M roots, K operations, J metrics'."""
        f = self.forest
        return (f"{self.config_path}: {f.name}: {len(f)} models, {len(f.roots)} roots, "
                f"{len(f.operations)} operations, {len(f.metrics)} metrics")


def _name(text: Any, limit: int = 80) -> str:
    """An id or key as it appears in a message: control characters escaped, long ones cut.

    A message stays one readable line whatever a file holds (an id with a newline, a 1 MB id).
    """
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _pydantic_problems(
    exc: ValidationError, file: Path, raw_models: list[Any] | None, prefix: tuple = ()
) -> list[str]:
    """Turn pydantic errors into 'file: model 'id': field: message' lines."""
    out: dict[tuple[str, str], str] = {}
    for err in exc.errors():
        full = prefix + tuple(err["loc"])
        loc = full
        where = f"{file}: "
        if raw_models is not None and len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int):
            raw = raw_models[loc[1]]
            mid = raw.get("id") if isinstance(raw, dict) else None
            where += f"model '{_name(mid)}': " if isinstance(mid, str) else f"models[{loc[1]}]: "
            loc = loc[2:]
        field = _field_path(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            msg = f"unknown key{did_you_mean(str(loc[-1]), _fields_for(full[:-1]))}"
        elif kind == "missing":
            msg = "is required"
        elif ".parameters." in f".{field}":
            msg = f"must be a scalar (number, string, true/false or null), got {_describe(err.get('input'))}"
        else:
            wanted = _EXPECTED.get(kind.split("_")[0] if kind not in _EXPECTED else kind)
            text = f"must be {wanted}" if wanted else err["msg"].lower()
            msg = f"{text}, got {_describe(err.get('input'))}"
        # union branches repeat an error per branch at one field: keep the first.
        out.setdefault((where, field), f"{where}{_name(field, 200) or '(top level)'}: {msg}")
    return list(out.values())


_EXPECTED = {"dict": "a mapping", "model": "a mapping", "model_type": "a mapping",
             "string": "a string", "float": "a number", "int": "an integer", "list": "a list",
             "bool": "true or false", "literal_error": None}
# pydantic names union branches in the location ('str', 'function-after[...]'); not fields.
_BRANCHES = ("str", "int", "float", "bool", "none", "list[", "function-", "tagged-union[")


def _field_path(loc: tuple) -> str:
    """('metrics', 0, 'unit') -> 'metrics[0].unit'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not any(str(part).startswith(b) for b in _BRANCHES):
            out += f".{part}" if out else str(part)
    return out


def _fields_for(loc: tuple) -> set[str]:
    """Field names allowed at a location, for 'did you mean' on unknown keys."""
    names = [p for p in loc if isinstance(p, str)]
    if not names:
        return set(ExperimentConfig.model_fields) | {"class"}
    if len(loc) == 2 and loc[0] == "models" and isinstance(loc[1], int):
        return _MODEL_FIELDS
    last = names[-1]
    table = {"operation": {"name", "parameters"},
             "inspector": set(InspectorSpec.model_fields) - {"class_name"} | {"class"},
             "background": set(BackgroundSpec.model_fields), "metrics": set(MetricSpec.model_fields),
             "operations": set(OperationSpec.model_fields)}
    return table.get(last, _MODEL_FIELDS)


def _read(path: Path) -> dict[str, Any]:
    try:
        doc = read_document(path)
    except DocumentError as exc:
        raise ConfigError([str(exc)]) from None
    if doc is None:
        raise ConfigError([f"{path}: expected a mapping at the top level, got an empty document"])
    if not isinstance(doc, dict):
        raise ConfigError([f"{path}: expected a mapping at the top level, got "
                           f"{type(doc).__name__}"])
    return normalise_document(doc)


def _validate_models(raw: Any, file: Path) -> list[ModelEntry]:
    if not isinstance(raw, list):
        raise ConfigError([f"{file}: models: must be a list of models or a path to a models "
                           f"file, got {type(raw).__name__}"])
    try:
        return _MODEL_LIST.validate_python(raw)
    except ValidationError as exc:
        raise ConfigError(_pydantic_problems(exc, file, raw, prefix=("models",))) from None


def _merge_specs(first: list, override: list) -> list:
    """Specs by name: ``override`` wins, order of first appearance kept."""
    merged = {s.name: s for s in first}
    merged.update({s.name: s for s in override})
    return list(merged.values())


def _builder(spec: str) -> Callable:
    module_name, _, func_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError([f"builder: cannot import module '{module_name}' ({exc})"]) from None
    fn = getattr(module, func_name or "build", None)
    if not callable(fn):
        raise ConfigError([f"builder: module '{module_name}' has no function '{func_name}'"])
    return fn


def _build_in_child(spec: str, models_path: Path, cache_dir: Path, conn) -> None:
    try:
        _builder(spec)(models_path=models_path, cache_dir=cache_dir, log=lambda m: conn.send(("log", m)))
        conn.send(("ok", ""))
    except ConfigError as exc:
        conn.send(("error", exc.problems[0]))
    except Exception as exc:  # noqa: BLE001 - a user builder may raise anything: report one line
        conn.send(("error", f"builder '{spec}' failed: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_builder(spec: str, models_path: Path, cache_dir: Path,
                log: Callable[[str], None]) -> None:
    """Import 'module:function' and call it to (re)build a missing models file.

    It runs in a freshly spawned process: training multi-threaded torch in the web process would
    leave an OpenMP pool behind, and every background job forked from it afterwards would hang
    in its first parallel operation.
    """
    _builder(spec)  # import errors are reported here, in one line, before any process starts
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_build_in_child, args=(spec, models_path, cache_dir, child), daemon=True)
    proc.start()
    child.close()
    outcome = ("error", f"builder '{spec}' exited without a result")
    try:
        while True:
            kind, message = parent.recv()
            if kind == "log":
                log(message)
            else:
                outcome = (kind, message)
                break
    except EOFError:
        pass
    finally:
        proc.join()
    if outcome[0] != "ok":
        detail = outcome[1] if proc.exitcode in (0, None) else f"{outcome[1]} (exit code {proc.exitcode})"
        raise ConfigError([detail])


def load_experiment(
    config_path: str | Path,
    cache_dir: str | Path | None = None,
    build: bool = True,
    log: Callable[[str], None] = lambda _msg: None,
    default_cache_dir: str | Path | None = None,
) -> Experiment:
    """Load, build if needed, and validate an experiment; raise ConfigError listing problems.

    A file without ``name`` whose ``models`` is a list is taken as a models file itself, so
    ``--config imagenet.json`` works on the reference's files directly.
    """
    config_path = Path(config_path)
    doc = _read(config_path)
    if "name" not in doc and isinstance(doc.get("models"), list):
        doc = {**doc, "name": config_path.stem}
    raw_models = doc.get("models")
    problems: list[str] = []
    if "models" in doc and not isinstance(raw_models, list | str):
        problems.append(f"{config_path}: models: must be a list of models or a path to a "
                        f"models file, got {_describe(raw_models)}")
    try:
        config = ExperimentConfig.model_validate({**doc, "models": "<checked below>"}
                                                 if "models" in doc else doc)
    except ValidationError as exc:
        problems = _pydantic_problems(exc, config_path, None) + problems
    if isinstance(raw_models, list):
        try:
            _validate_models(raw_models, config_path)
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    here = config_path.parent
    # precedence: caller (CLI or environment) > the config's cache_dir > the caller's default.
    # A relative caller path means the working directory, a relative config path the config's
    # folder; either way it is made absolute here, so "{cache_dir}" in the models path and the
    # results cache name the same folder.
    if cache_dir:
        cache = Path(cache_dir)
    elif config.cache_dir:
        cache = here / config.cache_dir
    else:
        cache = Path(default_cache_dir) if default_cache_dir else Path.cwd() / ".cache"
    cache = cache.absolute()
    operations, metrics = config.operations, config.metrics
    if isinstance(raw_models, list):
        models_path, entries = config_path, _validate_models(raw_models, config_path)
    else:
        models_path = Path(str(raw_models).replace("{cache_dir}", str(cache)))
        models_path = models_path if models_path.is_absolute() else here / models_path
        if not models_path.exists() and config.builder and build:
            log(f"building models file {models_path} with {config.builder}")
            run_builder(config.builder, models_path, cache, log)
        if not models_path.exists():
            hint = " (run with --build-only to build it)" if config.builder else ""
            raise ConfigError([f"{config_path}: models: file not found: {models_path}{hint}"])
        mdoc = _read(models_path)
        try:
            mfile = ModelsFile.model_validate({**mdoc, "models": []})
        except ValidationError as exc:
            raise ConfigError(_pydantic_problems(exc, models_path, None)) from None
        entries = _validate_models(mdoc.get("models"), models_path)
        operations = _merge_specs(mfile.operations, operations)
        metrics = _merge_specs(mfile.metrics, metrics)
    forest = build_forest(config.name, entries, operations, metrics, models_path)
    return Experiment(config_path, models_path, cache, forest, config.inspector, config.background)


def build_forest(
    name: str,
    entries: list[ModelEntry],
    operations: list[OperationSpec],
    metrics: list[MetricSpec],
    file: Path,
) -> ExperimentForest:
    """Check the forest's invariants and build it; raise ConfigError with every problem."""
    problems: list[str] = []
    warnings: list[str] = []
    ids: dict[str, ModelEntry] = {}
    for e in entries:
        if e.id in ids:
            problems.append(f"{file}: model '{_name(e.id)}': id: duplicate id (ids must be unique)")
        ids[e.id] = e
    declared = {m.name for m in metrics}
    if not metrics:  # no metric list at all: take them in order of first appearance
        seen: dict[str, None] = {}
        for e in entries:
            seen.update(dict.fromkeys(e.metrics))
        metrics = [MetricSpec(name=n) for n in seen]
        declared = set(seen)
    ops = {o.name: o for o in operations}
    models: dict[str, Model] = {}
    for e in entries:
        where = f"{file}: model '{_name(e.id)}'"
        if e.base is not None and e.base not in ids:
            problems.append(f"{where}: base: '{_name(e.base)}' is not a model id"
                            f"{did_you_mean(e.base, ids.keys())}")
        values: dict[str, float] = {}
        for key, value in e.metrics.items():
            if key not in declared:
                problems.append(f"{where}: metrics.{_name(key)}: metric is not declared in metrics"
                                f"{did_you_mean(key, declared)}")
            elif value is not None and not math.isfinite(value):
                problems.append(f"{where}: metrics.{_name(key)}: must be a finite number, got {value} "
                                "(use null for a missing value)")
            elif value is not None:
                values[key] = float(value)
        op = None
        if e.operation is not None:
            op = Operation(e.operation.name, dict(e.operation.parameters))
            if op.name not in ops:
                ops[op.name] = OperationSpec(name=op.name)
                warnings.append(f"{file}: operation '{_name(op.name)}' is used (first by model "
                                f"'{_name(e.id)}') but not declared in operations")
        ckpt = None
        if e.checkpoint:
            ckpt = Path(e.checkpoint)
            ckpt = ckpt if ckpt.is_absolute() else file.parent / ckpt
        models[e.id] = Model(e.id, e.tag, e.base, op, values, ckpt)
    problems.extend(_cycle_problems(models, file))
    if problems:
        raise ConfigError(problems)
    return ExperimentForest(name, models, ops, list(metrics), warnings)


def _cycle_problems(models: dict[str, Model], file: Path) -> list[str]:
    """One line per cycle of ``base`` links (models that are their own ancestor)."""
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = known to reach a root
    out = []
    for start in models:
        walk = []
        mid: str | None = start
        while mid is not None and mid in models and state.get(mid) is None:
            state[mid] = 1
            walk.append(mid)
            mid = models[mid].base
        if mid is not None and state.get(mid) == 1:
            cycle = [_name(c) for c in walk[walk.index(mid):] + [mid]]
            if len(cycle) > 9:  # a 10,000-model cycle is still one readable line
                cycle = cycle[:4] + [f"... ({len(cycle) - 8} more)"] + cycle[-4:]
            out.append(f"{file}: model '{_name(mid)}': base: cycle of base links: " + " -> ".join(cycle))
        for w in walk:
            state[w] = 2
    return out
