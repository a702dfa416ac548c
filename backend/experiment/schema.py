"""Typed schema of ``experiments.yaml`` and of models files (ours and the reference's JSON).

The schema is the contract editors complete against (``python app.py --print-schema``). Input
quirks of the reference files are normalised *before* validation (see ``normalise_document``)
so the typed models stay strict and a typo in our own format is still caught.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)
from pydantic_core import PydanticCustomError

from backend.experiment.times import parse_created

Scalar = StrictBool | StrictInt | StrictFloat | StrictStr


def _number_only(value: Any) -> Any:
    """A number, not YAML's ``true`` or the text '0.5' (which a lax float would take as one)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("float_type", "Input should be a valid number")
    return value


Number = Annotated[float, BeforeValidator(_number_only)]


def _created_time(value: Any) -> datetime:
    """ISO 8601 text (or YAML's date/datetime) as an aware UTC datetime; naive means UTC.

    Stricter than pydantic's datetime: a number (an epoch?) or 'yesterday' is refused in one
    line rather than guessed at.
    """
    moment = parse_created(value)
    if moment is None:
        raise PydanticCustomError("iso_time", "Input should be an ISO 8601 time")
    return moment


Created = Annotated[datetime, BeforeValidator(_created_time)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MetricSpec(_Strict):
    """A metric column: how to format it and which direction is better."""

    name: str
    primary: bool = Field(False, description="Shown in tooltips, bar charts and default axes.")
    format: str | None = Field(None, description="d3-format string, e.g. '.2%' or '.3~s'.")
    unit: str | None = Field(None, description="Appended to formatted values, e.g. 'ms'.")
    min: Number | None = Field(None, description="Lower end of the colour/axis domain.")
    max: Number | None = Field(None, description="Upper end of the colour/axis domain.")
    higher_is_better: bool | None = Field(
        None, description="Direction for Pareto fronts; guessed from the name when absent."
    )
    description: str | None = None
    type: str | None = Field(None, description="Accepted for the reference's files; unused.")
    reduce: Literal["last", "min", "max"] | None = Field(
        None, description="MLflow import: which logged value of the metric a run shows: the last "
        "(the default), the minimum or the maximum over its history.")


class DerivedMetricSpec(_Strict):
    """A metric computed from others (``backend.experiment.derived``), declared in the config."""

    name: StrictStr
    expr: StrictStr = Field(description="An expression over metric names (backticks around names with "
                            "spaces), numbers, + - * / **, comparisons and log, exp, min, max, abs; "
                            "e.g. 'Accuracy / (`Model Size` / 1e6)'.")
    format: str | None = Field(None, description="d3-format string, e.g. '.3f'.")
    unit: str | None = Field(None, description="Appended to formatted values.")
    higher_is_better: bool | None = Field(
        None, description="Direction for Pareto fronts; guessed from the name when absent.")
    primary: bool = Field(True, description="Shown in tooltips and the Compare tab's bar charts.")
    description: str | None = None


class ParameterSpec(BaseModel):
    """How one operation parameter is displayed; only ``format`` changes what is shown."""

    model_config = ConfigDict(extra="allow")

    format: str | None = None
    type: str | None = None
    min: Number | None = None
    max: Number | None = None
    options: list[Any] | None = None


class OperationSpec(_Strict):
    """A compression step (prune, quantize, train, ...) and its parameters' display formats."""

    name: str
    description: str | None = None
    type: str | None = None
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict)


class OperationRef(_Strict):
    """The operation that derived a model from its base, with scalar parameter values."""

    name: StrictStr
    parameters: dict[str, Scalar | None] = Field(default_factory=dict)


class ModelEntry(_Strict):
    """One model of the experiment forest."""

    id: StrictStr
    tag: str | None = Field(None, description="Human-readable title.")
    base: StrictStr | None = Field(None, description="Id of the parent model; none for roots.")
    operation: OperationRef | None = None
    metrics: dict[str, Number | None] = Field(default_factory=dict)
    checkpoint: str | None = Field(None, description="Checkpoint path, relative to the file.")
    created: Created | None = Field(
        None, description="When the model was created: ISO 8601, e.g. '2024-12-07T14:05:30Z' "
        "(a time without an offset is UTC); the Model Map's timeline arranges models by it.")


class InspectorSpec(_Strict):
    """Which plug-in class loads models and computes predictions, weights and activations."""

    module: str = Field(description="Importable module path, e.g. 'backend.demo.inspector'.")
    class_name: str = Field(alias="class", description="Class name inside the module.")
    device: Literal["cpu", "cuda", "auto"] = "auto"
    batch_size: int = Field(256, gt=0)
    activation_sample: int = Field(
        64, gt=0, description="How many evaluation instances (a seeded random sample) the "
        "Layers page compares activations on.")
    activation_seed: int = 0
    options: dict[str, Any] = Field(default_factory=dict, description="Passed to the class.")


class LaunchSpec(_Strict):
    """The plug-in that runs compression experiments from the Overview ("New experiment…")."""

    module: str = Field(description="Importable module path, e.g. 'backend.demo.launcher'.")
    class_name: str = Field(alias="class", description="A backend.launch.Launcher subclass in it.")
    options: dict[str, Any] = Field(default_factory=dict, description="Passed to the class.")


class BackgroundSpec(_Strict):
    """Where lazy computations run: forked local processes, or Celery workers through Redis."""

    manager: Literal["diskcache", "celery"] = "diskcache"
    broker_url: str = Field("redis://127.0.0.1:6379/0", description="Celery broker (celery only).")
    result_backend: str = Field("redis://127.0.0.1:6379/1", description="Celery results.")


class AnnotationsSpec(_Strict):
    """Where the team's review notes live (backend.annotations); CC_ANNOTATIONS_URL wins over ``url``."""

    url: StrictStr | None = Field(
        None, description="SQLAlchemy URL, e.g. postgresql+psycopg://USER@HOST/DB; default: a SQLite "
        "file annotations.sqlite in the cache directory.")
    statuses: list[StrictStr] = Field(
        default_factory=list, description="Statuses besides needs review, approved and regression.")


class ModelsFile(_Strict):
    """A models file: our YAML or the reference's model-info JSON (spec §2.1)."""

    name: str | None = None
    operations: list[OperationSpec] = Field(default_factory=list)
    metrics: list[MetricSpec] = Field(default_factory=list)
    models: list[ModelEntry]


class MlflowImport(_Strict):
    """``models: {mlflow: ...}``: the runs of one MLflow experiment (backend.experiment.importers)."""

    tracking_uri: StrictStr = Field(
        description="sqlite:///mlflow.db, a folder store such as ./mlruns, or http(s)://host:port; "
        "relative paths are relative to this config.")
    experiment: StrictStr | StrictInt = Field(description="The experiment's name or id.")
    timeout: Number = Field(5, gt=0, le=600, description="Seconds to wait for a tracking server.")


class HuggingFaceImport(_Strict):
    """``models: {huggingface: ...}``: one save_pretrained folder per model, with its model card."""

    folder: StrictStr = Field(description="The folder that holds one subfolder per model, relative to "
                              "this config; each subfolder's README.md card names its base_model.")


class ModelsImport(_Strict):
    """Models imported from where experiments live; exactly one importer is named."""

    mlflow: MlflowImport | None = None
    huggingface: HuggingFaceImport | None = None


class ExperimentConfig(_Strict):
    """``experiments.yaml``: the experiment, where its models are, and how to inspect them."""

    name: str
    description: str | None = None
    models: list[ModelEntry] | str | ModelsImport = Field(
        description="Inline list of models, a path to a models file (YAML or the reference's "
        "JSON), relative to this config ('{cache_dir}' expands to the cache directory), or an "
        "importer: {mlflow: {tracking_uri, experiment}} or {huggingface: {folder}}."
    )
    operations: list[OperationSpec] = Field(default_factory=list)
    metrics: list[MetricSpec] = Field(default_factory=list)
    derived_metrics: list[DerivedMetricSpec] = Field(
        default_factory=list, description="Metrics computed from the others by an expression; each "
        "primary metric's change vs parent and vs root is built in.")
    inspector: InspectorSpec | None = None
    launch: LaunchSpec | None = Field(
        None, description="Off unless given: the plug-in whose operations the Overview's "
        "'New experiment…' runs on a selected model.")
    background: BackgroundSpec = Field(default_factory=BackgroundSpec)
    annotations: AnnotationsSpec = Field(default_factory=AnnotationsSpec)
    builder: str | None = Field(
        None,
        description="'module:function' that (re)builds the models file when it is missing, "
        "e.g. the embedded demo's training script.",
    )
    cache_dir: str | None = Field(None, description="Cache directory, relative to this config.")


def json_schema() -> dict[str, Any]:
    """JSON Schema of ``experiments.yaml`` for editor completion."""
    schema = ExperimentConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Compress & Compare experiments.yaml"
    return schema


# --- normalisation of the reference's quirks (spec §2.1–2.2) ---------------------------------


def _normalise_operation_spec(op: Any) -> Any:
    """Parameters given as a list of names become ``{name: {}}`` (celeba, imagenet files)."""
    if isinstance(op, dict) and isinstance(op.get("parameters"), list):
        params = op["parameters"]
        if all(isinstance(p, str) for p in params):
            op = {**op, "parameters": {p: {} for p in params}}
    return op


def _normalise_metric_spec(metric: Any) -> Any:
    """The documented ``range: {min, max}`` object becomes top-level min/max (what code reads)."""
    if isinstance(metric, dict) and isinstance(metric.get("range"), dict):
        rng = metric["range"]
        metric = {k: v for k, v in metric.items() if k != "range"}
        metric.setdefault("min", rng.get("min"))
        metric.setdefault("max", rng.get("max"))
    return metric


def _normalise_model(model: Any) -> Any:
    """Drop the reference's server-only ``loader`` key; numeric ids become strings."""
    if not isinstance(model, dict):
        return model
    model = {k: v for k, v in model.items() if k != "loader"}
    for key in ("id", "base"):
        value = model.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            model[key] = str(int(value)) if float(value).is_integer() else str(value)
    return model


def normalise_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Apply every tolerated quirk to a parsed config or models file (returns a new dict)."""
    out = dict(doc)
    if isinstance(out.get("operations"), list):
        out["operations"] = [_normalise_operation_spec(o) for o in out["operations"]]
    if isinstance(out.get("metrics"), list):
        out["metrics"] = [_normalise_metric_spec(m) for m in out["metrics"]]
    if isinstance(out.get("models"), list):
        out["models"] = [_normalise_model(m) for m in out["models"]]
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close.

    Case is ignored when comparing ('top-1 accuracy' finds 'Top-1 Accuracy'), the one
    suggestion is spelled as declared; the loader and ExperimentLog share it.
    """
    folded: dict[str, str] = {}
    for choice in sorted(set(choices)):
        folded.setdefault(choice.casefold(), choice)
    key = word.casefold()
    if key in folded and folded[key] != word:
        return f" (did you mean '{folded[key]}'?)"
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.6)
    return f" (did you mean '{folded[close[0]]}'?)" if close and folded[close[0]] != word else ""
