"""Cross-field rules of the specs: ranges, d3 formats, names given twice, config vs models file.

Types are pydantic's job; these are the rules a type cannot say (a minimum above its maximum,
a format string d3 would misread, a metric declared in two files with two formats). Each
problem is one line naming the file, the field path and the metric or operation by name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from backend.experiment.messages import describe, name
from backend.experiment.schema import MetricSpec, OperationSpec, ParameterSpec
from backend.present.formatting import spec_parts

# the types d3-format knows (case matters: 'X' is upper-case hex, 'F' is not a type)
D3_TYPES = "e f g r s % p b o d x X c n".split()
_EXAMPLES = "e.g. '.2%', '.3~s', ',.0f'"


def format_problem(fmt: str) -> str | None:
    """Why ``fmt`` is not a d3-format specifier we format correctly, or None when it is one."""
    try:
        kind = spec_parts(fmt)["type"]
    except ValueError:
        return f"{describe(fmt)} is not a d3-format string ({_EXAMPLES})"
    if kind and kind not in D3_TYPES:
        return (f"{describe(fmt)} has an unknown d3-format type '{kind}' "
                f"(one of {' '.join(D3_TYPES)})")
    return None


def _number(value: float) -> str:
    return f"{value:g}"


def range_problems(low: float | None, high: float | None) -> list[tuple[str, str]]:
    """(field, message) for a range whose ends are not finite or whose min is above its max."""
    out = [(key, f"must be a finite number, got {value}") for key, value in (("min", low), ("max", high))
           if value is not None and not math.isfinite(value)]
    if not out and low is not None and high is not None and low > high:
        out.append(("min", f"{_number(low)} is above max {_number(high)} (a range needs min <= max)"))
    return out


def outside_range(value: float, low: float | None, high: float | None, what: str) -> str | None:
    """'1.5 is outside the declared range [0, 1] of 'acc'' or None (a tiny rounding is allowed).

    ``what`` names the range's owner as the message shows it ("'acc'", "parameter 'amount'").
    """
    if range_problems(low, high):
        return None  # the range itself is reported
    slack = 1e-9 * max(1.0, abs(value))
    if (low is not None and value < low - slack) or (high is not None and value > high + slack):
        lo = "" if low is None else _number(low)
        hi = "" if high is None else _number(high)
        return f"{_number(value)} is outside the declared range [{lo}, {hi}] of {what}"
    return None


def _named(field: str, message: str) -> str:
    return f".{field}: {message}" if field else f": {message}"


def metric_problems(spec: MetricSpec, where: str) -> list[str]:
    """A metric spec's own rules; ``where`` is 'file: metrics[i] ('name')'."""
    out = []
    if not spec.name.strip():
        out.append(f"{where}.name: must not be empty")
    if spec.format is not None and (why := format_problem(spec.format)):
        out.append(f"{where}.format: {why}")
    out += [f"{where}{_named(key, msg)}" for key, msg in range_problems(spec.min, spec.max)]
    return out


def _parameter_problems(param: str, spec: ParameterSpec, where: str) -> list[str]:
    at = f"{where}.parameters.{name(param)}"
    out = []
    if spec.format is not None and (why := format_problem(spec.format)):
        out.append(f"{at}.format: {why}")
    out += [f"{at}{_named(key, msg)}" for key, msg in range_problems(spec.min, spec.max)]
    return out


def operation_problems(spec: OperationSpec, where: str) -> list[str]:
    """An operation spec's own rules, its parameters' formats and ranges included."""
    out = [f"{where}.name: must not be empty"] if not spec.name.strip() else []
    for param, pspec in spec.parameters.items():
        out += _parameter_problems(param, pspec, where)
    return out


def duplicate_problems(section: str, names: Sequence[tuple[int, str]], file: Path) -> list[str]:
    """One line for each name declared again in the same list of one file."""
    first: dict[str, int] = {}
    out = []
    for index, spec_name in names:
        if spec_name in first:
            out.append(f"{file}: {section}[{index}] ('{name(spec_name)}'): name: declared twice in "
                       f"{section} (first at {section}[{first[spec_name]}]); declare it once")
        else:
            first[spec_name] = index
    return out


# --- declarations given in both files ------------------------------------------------------------
def _set_fields(spec: Any) -> dict[str, Any]:
    """The fields a file actually gave (nulls count as not given)."""
    return spec.model_dump(exclude_unset=True, exclude_none=True)


def _merge_fields(label: str, ours: dict, theirs: dict, there: str,
                  skip: tuple = ("name",)) -> tuple[dict, list[str]]:
    """Union of two field dicts; one problem per field given two different values."""
    merged = {**theirs, **ours}
    problems = []
    for key in sorted(set(ours) & set(theirs) - set(skip)):
        if ours[key] != theirs[key]:
            problems.append(f"{label}.{name(key)}: {describe(ours[key])} here conflicts with "
                            f"{describe(theirs[key])} in {there}; give it once, or the same value")
    return merged, problems


def _merge_operation(label: str, ours: OperationSpec, theirs: OperationSpec,
                     there: str) -> tuple[dict, list[str]]:
    a, b = _set_fields(ours), _set_fields(theirs)
    merged, problems = _merge_fields(label, a, b, there, skip=("name", "parameters"))
    params = dict(b.get("parameters", {}))
    for param, fields in a.get("parameters", {}).items():
        if param in params:
            at = f"{label}.parameters.{name(param)}"
            params[param], more = _merge_fields(at, fields, params[param], there)
            problems += more
        else:
            params[param] = fields
    merged["parameters"] = params
    return merged, problems


def merge_declarations(section: str, from_models: list[tuple[int, Any]], from_config: list[tuple[int, Any]],
                       models_file: Path, config_file: Path) -> tuple[list[Any], list[str], list[str]]:
    """Specs declared in the models file and in the config, merged by name.

    A name given in both files is merged field by field (with a warning naming it); a field the
    two files give different values is refused, one line each. Order: the models file's first.
    """
    kind = {"metrics": "metric", "operations": "operation"}[section]
    cls = MetricSpec if section == "metrics" else OperationSpec
    theirs = {spec.name: (index, spec) for index, spec in from_models}
    merged: dict[str, Any] = {spec.name: spec for _, spec in from_models}
    problems: list[str] = []
    warnings: list[str] = []
    for index, spec in from_config:
        if spec.name not in theirs:
            merged[spec.name] = spec
            continue
        other_index, other = theirs[spec.name]
        label = f"{config_file}: {section}[{index}] ('{name(spec.name)}')"
        there = f"{models_file} ({section}[{other_index}])"
        if section == "metrics":
            fields, conflicts = _merge_fields(label, _set_fields(spec), _set_fields(other), there)
        else:
            fields, conflicts = _merge_operation(label, spec, other, there)
        problems += conflicts
        if not conflicts:
            merged[spec.name] = cls.model_validate(fields)
            warnings.append(_merge_warning(kind, spec, other, config_file, models_file))
    return list(merged.values()), problems, warnings


def _flat(fields: dict, prefix: str = "") -> set[str]:
    """{'parameters': {'amount': {'format': ...}}} -> {'parameters.amount.format'}."""
    out: set[str] = set()
    for key, value in fields.items():
        path = f"{prefix}{key}"
        out |= _flat(value, path + ".") if isinstance(value, dict) and value else {path}
    return out


def _merge_warning(kind: str, ours: Any, theirs: Any, config_file: Path, models_file: Path) -> str:
    a, b = _flat(_set_fields(ours)) - {"name"}, _flat(_set_fields(theirs)) - {"name"}
    parts = []
    if b - a:
        parts.append(f"{', '.join(sorted(b - a))} from {models_file.name}")
    if a - b:
        parts.append(f"{', '.join(sorted(a - b))} from {config_file.name}")
    how = "; ".join(parts) if parts else "same values"
    return (f"{config_file}: {kind} '{name(ours.name)}' is declared here and in {models_file}; "
            f"merged field by field ({how})")
