"""Load ``experiments.yaml`` (or a models file given directly) into a validated forest.

Every problem becomes one line naming the file, the model, metric or operation and the field,
and all problems are collected before raising: each section, each spec and each model is
checked on its own, so a type error in one does not hide a cycle, a NaN or an undeclared
metric in another, and a user fixes a broken file in one pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from backend.experiment.builder import run_builder
from backend.experiment.derived import DerivedMetric
from backend.experiment.derived_rules import SECTION as DERIVED
from backend.experiment.derived_rules import derived_definitions
from backend.experiment.errors import ConfigError
from backend.experiment.forest import ExperimentForest
from backend.experiment.importers import ModelSource, import_models
from backend.experiment.messages import SECTIONS, describe, item_label, name, pydantic_problems
from backend.experiment.rules import (
    duplicate_problems,
    merge_declarations,
    metric_problems,
    operation_problems,
)
from backend.experiment.safe_yaml import DocumentError, read_document
from backend.experiment.schema import (
    AnnotationsSpec,
    BackgroundSpec,
    ExperimentConfig,
    InspectorSpec,
    LaunchSpec,
    MetricSpec,
    ModelEntry,
    ModelsFile,
    OperationRef,
    OperationSpec,
    normalise_document,
)
from backend.experiment.structure import check_forest

__all__ = ["ConfigError", "Experiment", "build_forest", "collect", "load_experiment", "run_builder"]
MODEL_CHECKS = "ids, bases, cycles, metric values, references to metrics and operations"


@dataclass(frozen=True, eq=False)  # identity hashing: per-experiment caches
class Experiment:
    """A loaded experiment: the forest plus where its files and caches live."""

    config_path: Path
    models_path: Path
    cache_dir: Path
    forest: ExperimentForest
    inspector: InspectorSpec | None
    background: BackgroundSpec = field(default_factory=BackgroundSpec)
    # the models file's (mtime_ns, size, inode) when it was read: a reader that sees another
    # stamp re-reads it (server.context), even if it changed before the first request
    stamp: tuple | None = None
    # where imported models come from (backend.experiment.importers): its stamp replaces the file's
    source: ModelSource | None = None
    # the config's derived_metrics, checked (the Overview adds them: backend.experiment.derived)
    derived: tuple[DerivedMetric, ...] = ()
    # the config's launch: plug-in (None: "New experiment…" is off)
    launch: LaunchSpec | None = None
    # where the team's review notes live (backend.annotations)
    annotations: AnnotationsSpec = field(default_factory=AnnotationsSpec)

    def current_stamp(self) -> tuple | None:
        """What changes when the models do: the models file's stamp, or the importer's source's
        (an MLflow store, model cards); None while it cannot be read (keep what was read last)."""
        return self.source.stamp() if self.source is not None else file_stamp(self.models_path)

    def summary(self) -> str:
        """One line ending in 'N models, M roots, K operations, J metrics'."""
        f = self.forest
        return (f"{self.config_path}: {f.name}: {len(f)} models, {len(f.roots)} roots, "
                f"{len(f.operations)} operations, {len(f.metrics)} metrics")


@dataclass
class Collected:
    """Everything one pass over the files found; ``experiment`` is set only without problems."""

    config_path: Path
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    experiment: Experiment | None = None
    models_path: Path | None = None
    entries: list[ModelEntry] | None = None  # None: the models could not be read at all
    listed: int | None = None  # how many models the file lists, valid or not (None: not a list)
    inspector: InspectorSpec | None = None  # the inspector section, when it is valid
    inspector_invalid: bool = False
    stamp: tuple | None = None  # of the file (or importer's source) the models come from, before reading
    source: ModelSource | None = None  # an importer's source, when the models are imported

    def skipped_line(self) -> str | None:
        """One line naming the checks that could not run, or None."""
        if not self.skipped:
            return None
        return (f"{self.config_path}: not checked until the problems above are fixed: "
                f"{'; '.join(self.skipped)}")


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file does: mtime, and size and inode for coarse-mtime filesystems
    (ExperimentLog replaces the file, so two writes within one mtime tick still differ)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


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


def _stub(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with its lists of specs and models emptied: those are checked item by item."""
    out = dict(doc)
    for key in (*SECTIONS, DERIVED, "models"):
        if isinstance(out.get(key), list):
            out[key] = []
    return out


def _specs(doc: dict[str, Any], section: str, file: Path,
           problems: list[str]) -> tuple[list[tuple[int, Any]], str | None]:
    """The valid specs of one section as (index, spec), and why some names are unknown (or None).

    An invalid spec with a string name still counts as declared (a stand-in with defaults), so
    the models that use it get no false 'not declared' problem.
    """
    raw = doc.get(section)
    if raw is None:
        return [], None if section not in doc else f"{section} of {file.name} is null"
    if not isinstance(raw, list):  # the section's type problem is reported with the top level
        return [], f"{section} of {file.name} is not a list"
    metric = section == "metrics"
    cls, own_rules = (MetricSpec, metric_problems) if metric else (OperationSpec, operation_problems)
    out: list[tuple[int, Any]] = []
    unnamed: str | None = None
    for index, item in enumerate(raw):
        try:
            spec = cls.model_validate(item)
        except ValidationError as exc:
            problems.extend(pydantic_problems(exc, file, doc, (section, index)))
            spec_name = item.get("name") if isinstance(item, dict) else None
            if isinstance(spec_name, str):
                out.append((index, cls.model_construct(name=spec_name)))
            elif unnamed is None:
                unnamed = f"{section}[{index}] of {file.name} has no usable name"
            continue
        problems.extend(own_rules(spec, f"{file}: {item_label(section, index, item)}"))
        out.append((index, spec))
    problems.extend(duplicate_problems(section, [(i, s.name) for i, s in out], file))
    first: dict[str, tuple[int, Any]] = {}
    for index, spec in out:
        first.setdefault(spec.name, (index, spec))
    return list(first.values()), unnamed


def _as_float(value: Any) -> float | None:
    """A number as a float, or None (text, true/false, an int too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def _lenient_model(raw: Any) -> ModelEntry | None:
    """What a model that failed validation still says about the forest: its id, base, metrics.

    The structural checks run on it, so a cycle through a model with a bad tag is still found.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return None
    metrics = raw.get("metrics") if isinstance(raw.get("metrics"), dict) else {}
    numbers = {k: v for k, v in ((k, _as_float(v)) for k, v in metrics.items())
               if isinstance(k, str) and v is not None}
    operation = None
    op = raw.get("operation")
    if isinstance(op, dict) and isinstance(op.get("name"), str):
        try:
            operation = OperationRef.model_validate(op)
        except ValidationError:
            operation = OperationRef.model_construct(name=op["name"], parameters={})
    base, ckpt = raw.get("base"), raw.get("checkpoint")
    return ModelEntry.model_construct(id=raw["id"], tag=None, base=base if isinstance(base, str) else None,
                                      operation=operation, metrics=numbers,
                                      checkpoint=ckpt if isinstance(ckpt, str) else None)


def _models(raw: Any, file: Path, doc: dict[str, Any], out: Collected) -> tuple[list[ModelEntry], int | None]:
    """Models validated one by one, and the index of the first model without a usable id."""
    if not isinstance(raw, list):
        return [], None
    out.listed = len(raw)
    entries: list[ModelEntry] = []
    no_id: int | None = None
    for index, item in enumerate(raw):
        try:
            entries.append(ModelEntry.model_validate(item))
        except ValidationError as exc:
            out.problems.extend(pydantic_problems(exc, file, doc, ("models", index)))
            lenient = _lenient_model(item)
            if lenient is None:
                no_id = index if no_id is None else no_id
            else:
                entries.append(lenient)
    return entries, no_id


def _top_level(doc: dict[str, Any], file: Path, out: Collected) -> ExperimentConfig:
    """The config's own fields; a stand-in with what is usable when they have problems."""
    stub = _stub(doc)
    if "models" in doc:
        if not isinstance(doc["models"], list | str | dict):
            out.problems.append(f"{file}: models: must be a list of models or a path to a "
                                f"models file, got {describe(doc['models'])}")
        stub["models"] = "<checked below>"
    if isinstance(doc.get("inspector"), dict):
        try:
            out.inspector = InspectorSpec.model_validate(doc["inspector"])
        except ValidationError as exc:
            out.problems.extend(pydantic_problems(exc, file, doc, ("inspector",)))
            out.inspector_invalid = True
        stub["inspector"] = None
    if isinstance(doc.get("name"), str) and not doc["name"].strip():
        out.problems.append(f"{file}: name: must not be empty")
    try:
        return ExperimentConfig.model_validate(stub)
    except ValidationError as exc:
        out.problems.extend(pydantic_problems(exc, file, doc))
        text = {k: doc[k] if isinstance(doc.get(k), str) else None for k in ("name", "builder", "cache_dir")}
        background = doc.get("background") if isinstance(doc.get("background"), dict) else {}
        try:
            bg = BackgroundSpec.model_validate(background)
        except ValidationError:
            bg = BackgroundSpec()
        return ExperimentConfig.model_construct(name=text["name"] or file.stem, builder=text["builder"],
                                                cache_dir=text["cache_dir"], background=bg,
                                                models=doc.get("models"))


def _cache_dir(config: ExperimentConfig, here: Path, cache_dir: str | Path | None,
               default_cache_dir: str | Path | None) -> Path:
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
    return cache.absolute()


def collect(
    config_path: str | Path,
    cache_dir: str | Path | None = None,
    build: bool = True,
    log: Callable[[str], None] = lambda _msg: None,
    default_cache_dir: str | Path | None = None,
) -> Collected:
    """Check every file of an experiment in one pass; raise ConfigError only for an unreadable config.

    A file without ``name`` whose ``models`` is a list is taken as a models file itself, so
    ``--config imagenet.json`` works on the reference's files directly.
    """
    config_path = Path(config_path)
    out = Collected(config_path, stamp=file_stamp(config_path))  # taken before reading
    doc = _read(config_path)
    if "name" not in doc and isinstance(doc.get("models"), list):
        doc = {**doc, "name": config_path.stem}
    config = _top_level(doc, config_path, out)
    metrics, metrics_gap = _specs(doc, "metrics", config_path, out.problems)
    operations, ops_gap = _specs(doc, "operations", config_path, out.problems)
    cache = _cache_dir(config, config_path.parent, cache_dir, default_cache_dir)
    raw_models = doc.get("models")
    no_id: int | None = None
    if isinstance(raw_models, list):
        out.models_path = config_path
        out.entries, no_id = _models(raw_models, config_path, doc, out)
    elif isinstance(raw_models, str | dict):
        if isinstance(raw_models, str):
            mdoc = _models_document(raw_models, config, config_path, cache, build, log, out)
        else:  # an importer (mlflow:, huggingface:) builds the same document a models file parses to
            mdoc = _imported_document(raw_models, config_path, metrics, operations, out)
        if mdoc is not None:
            models_path = out.models_path
            assert models_path is not None
            try:
                ModelsFile.model_validate(_stub(mdoc))
            except ValidationError as exc:
                out.problems.extend(pydantic_problems(exc, models_path, mdoc))
            m_metrics, m_metrics_gap = _specs(mdoc, "metrics", models_path, out.problems)
            m_ops, m_ops_gap = _specs(mdoc, "operations", models_path, out.problems)
            metrics_gap, ops_gap = metrics_gap or m_metrics_gap, ops_gap or m_ops_gap
            metrics = _merged("metrics", m_metrics, metrics, models_path, out)
            operations = _merged("operations", m_ops, operations, models_path, out)
            out.entries, no_id = _models(mdoc.get("models"), models_path, mdoc, out)
    names_known = out.entries is not None and not metrics_gap
    derived = derived_definitions(doc, config_path, [s for _, s in metrics], names_known, out.problems)
    if not names_known and isinstance(doc.get(DERIVED), list) and doc[DERIVED]:
        out.skipped.append("the metrics derived_metrics use (the declared metrics are not all known)")
    if out.entries is None:
        if isinstance(raw_models, str | dict):
            what = "the models file could not be read" if isinstance(raw_models, str) else \
                "the models could not be imported"
            out.skipped.append(f"the models ({MODEL_CHECKS}, checkpoints): {what}")
        return out
    if no_id is not None:
        out.skipped.append(f"base links (models[{no_id}] has no usable id)")
    if metrics_gap:
        out.skipped.append(f"undeclared metrics ({metrics_gap})")
    if ops_gap:
        out.skipped.append(f"references to operations ({ops_gap})")
    assert out.models_path is not None
    checked = check_forest(config.name, out.entries, [s for _, s in operations], [s for _, s in metrics],
                           out.models_path, check_bases=no_id is None, check_metric_names=not metrics_gap,
                           check_operation_names=not ops_gap)
    out.problems += checked.problems
    out.warnings += checked.warnings
    if not out.problems and checked.forest is not None:
        checked.forest.warnings[:] = out.warnings
        out.experiment = Experiment(config_path, out.models_path, cache, checked.forest, out.inspector,
                                    config.background, out.stamp, out.source, derived,
                                    config.launch, config.annotations)
    return out


def _merged(section: str, from_models: list[tuple[int, Any]], from_config: list[tuple[int, Any]],
            models_path: Path, out: Collected) -> list[tuple[int, Any]]:
    specs, problems, warnings = merge_declarations(section, from_models, from_config, models_path,
                                                   out.config_path)
    out.problems += problems
    out.warnings += warnings
    return list(enumerate(specs))


def _models_document(raw_models: str, config: ExperimentConfig, config_path: Path, cache: Path,
                     build: bool, log: Callable[[str], None], out: Collected) -> dict[str, Any] | None:
    """The models file named by the config (built first when it is missing and a builder is set)."""
    models_path = Path(raw_models.replace("{cache_dir}", str(cache)))
    models_path = models_path if models_path.is_absolute() else config_path.parent / models_path
    out.models_path = models_path
    # os.path.exists: False, not an OSError, for a name the file system refuses (too long)
    if not os.path.exists(models_path) and config.builder and build:
        log(f"building models file {models_path} with {config.builder}")
        try:
            run_builder(config.builder, models_path, cache, log)
        except ConfigError as exc:
            out.problems.extend(f"{config_path}: {line}" for line in exc.problems)
            return None
    if not os.path.exists(models_path):
        hint = " (run with --build-only to build it)" if config.builder else ""
        out.problems.append(f"{config_path}: models: file not found: {name(models_path, 1000)}{hint}")
        return None
    out.stamp = file_stamp(models_path)
    try:
        return _read(models_path)
    except ConfigError as exc:
        out.problems.extend(exc.problems)
        return None


def _imported_document(raw_models: dict[str, Any], config_path: Path, metrics: list[tuple[int, Any]],
                       operations: list[tuple[int, Any]], out: Collected) -> dict[str, Any] | None:
    """The models document an importer builds; its problems name the config (the models' file)."""
    imported = import_models(raw_models, config_path, [s for _, s in metrics],
                             {s.name for _, s in operations})
    out.models_path = config_path
    out.problems += imported.problems
    out.warnings += imported.warnings
    out.stamp, out.source = imported.stamp, imported.source
    return imported.document


def load_experiment(
    config_path: str | Path,
    cache_dir: str | Path | None = None,
    build: bool = True,
    log: Callable[[str], None] = lambda _msg: None,
    default_cache_dir: str | Path | None = None,
) -> Experiment:
    """Load, build if needed, and validate an experiment; raise ConfigError listing problems.

    An experiment with no models loads (a live ExperimentLog before its first model); ``--check``
    refuses it (``backend.experiment.check``).
    """
    found = collect(config_path, cache_dir, build, log, default_cache_dir)
    if found.problems or found.experiment is None:
        raise ConfigError(found.problems, found.skipped_line())
    return found.experiment


def build_forest(
    name: str,
    entries: list[ModelEntry],
    operations: list[OperationSpec],
    metrics: list[MetricSpec],
    file: Path,
) -> ExperimentForest:
    """Check the forest's invariants and build it; raise ConfigError with every problem."""
    checked = check_forest(name, entries, operations, metrics, file)
    if checked.forest is None:
        raise ConfigError(checked.problems)
    return checked.forest
