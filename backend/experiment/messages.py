"""One-line problem messages: where a problem is (file, field path) and *what* it is, by name.

A user reads ``metrics[0] ('Accuracy').format`` faster than ``metrics[0].format``, and a model
is named by its id, so every message of the loader and of the cross-field rules is built here.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from backend.experiment.schema import (
    BackgroundSpec,
    DerivedMetricSpec,
    ExperimentConfig,
    InspectorSpec,
    MetricSpec,
    ModelEntry,
    OperationSpec,
    did_you_mean,
)
from backend.experiment.times import EXAMPLE

_MODEL_FIELDS = set(ModelEntry.model_fields)
SECTIONS = ("metrics", "operations")  # lists of specs named by their 'name'
NAMED = (*SECTIONS, "derived_metrics")  # lists whose items a message names by their 'name'


def name(text: Any, limit: int = 80) -> str:
    """An id or key as it appears in a message: control characters escaped, long ones cut.

    A message stays one readable line whatever a file holds (an id with a newline, a 1 MB id).
    """
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def describe(value: Any) -> str:
    """A value as a message quotes it, at most 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def item_label(section: str, index: int, raw: Any) -> str:
    """'metrics[0] ('Accuracy')': the index where the item is, its name when it has one."""
    label = f"{section}[{index}]"
    item_name = raw.get("name") if isinstance(raw, dict) else None
    return f"{label} ('{name(item_name)}')" if isinstance(item_name, str) and item_name else label


def where_model(file: Any, index: int, raw: Any) -> str:
    """'file: model 'id'' for a model with a string id, else 'file: models[i]'."""
    mid = raw.get("id") if isinstance(raw, dict) else None
    return f"{file}: model '{name(mid)}'" if isinstance(mid, str) else f"{file}: models[{index}]"


def pydantic_problems(exc: ValidationError, file: Any, doc: dict | None, prefix: tuple = ()) -> list[str]:
    """Turn pydantic errors into 'file: model 'id': field: message' lines.

    ``doc`` is the raw document the locations point into (``prefix`` + the error's location),
    used to name models by id and metrics and operations by name.
    """
    out: dict[tuple[str, str], str] = {}
    for err in exc.errors():
        full = prefix + tuple(err["loc"])
        loc = full
        where = f"{file}: "
        section = loc[0] if loc else None
        raw_list = doc.get(section) if isinstance(doc, dict) and isinstance(section, str) else None
        index = loc[1] if len(loc) >= 2 and isinstance(loc[1], int) else None
        if index is not None and isinstance(raw_list, list) and index < len(raw_list):
            raw = raw_list[index]
            if section == "models":
                where = where_model(file, index, raw) + ": "
                loc = loc[2:]
            elif section in NAMED:
                label = item_label(section, index, raw)
                rest = name(_field_path(loc[2:]), 200)  # a key may hold a newline
                out.setdefault((where, label + rest), f"{where}{label}{'.' + rest if rest else ''}: "
                               f"{_message(err, full, loc[2:])}")
                continue
        field = _field_path(loc)
        # union branches repeat an error per branch at one field: keep the first.
        text = name(field, 200) or "(top level)"
        out.setdefault((where, field), f"{where}{text}: {_message(err, full, loc)}")
    return list(out.values())


def _message(err: dict, full: tuple, loc: tuple) -> str:
    kind = err["type"]
    field = _field_path(loc)
    if loc and loc[-1] == "[key]":  # a mapping key that is not text, e.g. YAML's 1: 0.5
        return f"key {describe(err.get('input'))} must be a string (quote it in the file)"
    if kind == "extra_forbidden" and loc and loc[-1] == "range" and full[0] in SECTIONS:
        return f"must be a mapping {{min: ..., max: ...}}, got {describe(err.get('input'))}"
    if kind == "extra_forbidden":
        return f"unknown key{did_you_mean(str(loc[-1]), _fields_for(full[:-1]))}"
    if kind == "missing":
        return "is required"
    if ".parameters." in f".{field}" and full and full[0] == "models":
        return f"must be a scalar (number, string, true/false or null), got {describe(err.get('input'))}"
    wanted = _EXPECTED.get(kind.split("_")[0] if kind not in _EXPECTED else kind)
    text = f"must be {wanted}" if wanted else err["msg"].lower()
    return f"{text}, got {describe(err.get('input'))}"


_EXPECTED = {"dict": "a mapping", "model": "a mapping", "model_type": "a mapping",
             "string": "a string", "float": "a number", "int": "an integer", "list": "a list",
             "bool": "true or false", "literal_error": None,
             "iso_time": f"an ISO 8601 time such as '{EXAMPLE}'"}
# pydantic names union branches in the location ('str', 'function-after[...]'); not fields.
_BRANCHES = ("str", "int", "float", "bool", "none", "list[", "function-", "tagged-union[")


def _field_path(loc: tuple) -> str:
    """('metrics', 0, 'unit') -> 'metrics[0].unit'; a key error names its mapping."""
    if loc and loc[-1] == "[key]":
        loc = loc[:-2]
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
             "operations": set(OperationSpec.model_fields),
             "derived_metrics": set(DerivedMetricSpec.model_fields)}
    return table.get(last, _MODEL_FIELDS)
