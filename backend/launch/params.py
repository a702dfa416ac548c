"""Checking launch parameters against an operation's schema, and expanding a sweep.

Why here and not in the form: the browser can send anything, so the server refuses what the
schema does not allow, in one line naming the operation, the parameter and the value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from backend.experiment.schema import did_you_mean
from backend.launch.protocol import ChoiceParam, NumberParam, OperationSchema, Param, Scalar

MAX_RUNS = 16  # one sweep starts at most this many jobs
MAX_TEXT = 500  # characters of one parameter's sweep text


class LaunchError(ValueError):
    """A refused launch: one line naming what is wrong."""


def find_operation(operations: Sequence[OperationSchema], name: object) -> OperationSchema:
    """The declared operation ``name``, or a LaunchError with "did you mean"."""
    names = [o.name for o in operations]
    for op in operations:
        if op.name == name:
            return op
    raise LaunchError(f"operation: '{name}' is not offered{did_you_mean(str(name), names)}"
                      f" (offered: {', '.join(names) or 'none'})")


def _value(op: OperationSchema, param: Param, raw: object) -> Scalar:
    """One checked value; text from the form is converted as the schema says."""
    where = f"operation '{op.name}': {param.name}"
    if isinstance(param, NumberParam):
        number: float
        if isinstance(raw, bool):
            raise LaunchError(f"{where}: must be a number, got {raw!r}")
        if isinstance(raw, int | float):
            number = float(raw)
        elif isinstance(raw, str):
            try:
                number = float(raw.strip())
            except ValueError:
                raise LaunchError(f"{where}: must be a number, got {raw.strip()[:40]!r}") from None
        else:
            raise LaunchError(f"{where}: must be a number, got {type(raw).__name__}")
        if not math.isfinite(number):
            raise LaunchError(f"{where}: must be a finite number, got {raw!r}")
        if not param.min <= number <= param.max:
            raise LaunchError(f"{where}: {number:g} is outside [{param.min:g}, {param.max:g}]")
        if param.integer:
            if not number.is_integer():
                raise LaunchError(f"{where}: must be a whole number, got {number:g}")
            return int(number)
        return number
    assert isinstance(param, ChoiceParam)
    for choice in param.choices:
        if raw == choice or (isinstance(raw, str) and raw.strip() == str(choice)):
            return choice
    shown = ", ".join(str(c) for c in param.choices)
    raise LaunchError(f"{where}: {str(raw)[:40]!r} is not one of {shown}")


def check_parameters(op: OperationSchema, parameters: Mapping[str, object]) -> dict[str, Scalar]:
    """The parameters of one run, checked and typed; unknown or missing ones are refused."""
    for key in parameters:
        if op.parameter(key) is None:
            names = [p.name for p in op.parameters]
            raise LaunchError(f"operation '{op.name}': unknown parameter '{key}'"
                              f"{did_you_mean(str(key), names)}")
    out: dict[str, Scalar] = {}
    for param in op.parameters:
        if param.name not in parameters:
            raise LaunchError(f"operation '{op.name}': {param.name}: missing")
        out[param.name] = _value(op, param, parameters[param.name])
    return out


def parse_sweep(op: OperationSchema, texts: Mapping[str, object]) -> dict[str, list[Scalar]]:
    """Each parameter's comma-separated values ("0.3, 0.6"), checked; an empty field takes the
    default. Repeated values are kept once."""
    for key in texts:
        if op.parameter(key) is None:
            raise LaunchError(f"operation '{op.name}': unknown parameter '{key}'")
    out: dict[str, list[Scalar]] = {}
    for param in op.parameters:
        text = texts.get(param.name)
        text = "" if text is None else str(text)
        if len(text) > MAX_TEXT:
            raise LaunchError(f"operation '{op.name}': {param.name}: more than {MAX_TEXT} characters")
        parts = [t for t in (s.strip() for s in text.split(",")) if t]
        if not parts:
            if param.default is None:
                raise LaunchError(f"operation '{op.name}': {param.name}: give one or more values")
            parts = [str(param.default)]
        values: list[Scalar] = []
        for part in parts:
            value = _value(op, param, part)
            if value not in values:
                values.append(value)
        out[param.name] = values
    return out


def sweep(op: OperationSchema, values: Mapping[str, Sequence[Scalar]]) -> list[dict[str, Scalar]]:
    """Every combination of the values (one run each); more than ``MAX_RUNS`` is refused."""
    names = [p.name for p in op.parameters]
    total = math.prod(len(values[n]) for n in names) if names else 1
    if total > MAX_RUNS:
        raise LaunchError(f"operation '{op.name}': {total} runs requested; at most {MAX_RUNS} at once")
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(values[n] for n in names))]
