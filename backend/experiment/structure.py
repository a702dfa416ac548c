"""The forest's structural checks: ids, base links, cycles, metric values, references to specs.

They run on every model that has a usable id, even when other models or specs of the file had
type errors, so one ``--check`` shows the cycle and the NaN next to the type errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from backend.experiment.forest import ExperimentForest, Model, Operation
from backend.experiment.messages import describe, name
from backend.experiment.rules import outside_range
from backend.experiment.schema import MetricSpec, ModelEntry, OperationSpec, ParameterSpec, did_you_mean


@dataclass
class Checked:
    """What the structural checks found; ``forest`` is None when there are problems."""

    forest: ExperimentForest | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _close(word: str, choices: list[str] | set[str]) -> bool:
    """A near miss of a declared name: a typo, not a deliberately different name."""
    return bool(did_you_mean(word, choices))


def check_forest(
    title: str,
    entries: list[ModelEntry],
    operations: list[OperationSpec],
    metrics: list[MetricSpec],
    file: Path,
    *,
    check_bases: bool = True,
    check_metric_names: bool = True,
    check_operation_names: bool = True,
) -> Checked:
    """Every structural problem of the models, and the forest when there is none.

    The ``check_*`` flags turn a check off where the input it compares against is incomplete
    (a model without a usable id, a spec without a usable name): it would report false problems.
    """
    out = Checked(None)
    ids: dict[str, ModelEntry] = {}
    for e in entries:
        if e.id in ids:
            out.problems.append(f"{file}: model '{name(e.id)}': id: duplicate id (ids must be unique)")
        elif not e.id.strip():
            out.problems.append(f"{file}: model '{name(e.id)}': id: must not be empty")
        ids[e.id] = e
    if not metrics:  # no metric list at all: take them in order of first appearance
        seen: dict[str, None] = {}
        for e in entries:
            seen.update(dict.fromkeys(e.metrics))
        metrics = [MetricSpec(name=n) for n in seen]
    specs = {m.name: m for m in metrics}
    ops = {o.name: o for o in operations}
    declared_ops = sorted(ops)
    models: dict[str, Model] = {}
    unused_params: set[tuple[str, str, str | None]] = set()
    for e in entries:
        where = f"{file}: model '{name(e.id)}'"
        if check_bases and e.base is not None and e.base not in ids:
            out.problems.append(f"{where}: base: '{name(e.base)}' is not a model id"
                                f"{did_you_mean(e.base, ids.keys())}")
        values = _metric_values(e, specs, where, out.problems, check_metric_names)
        op = None
        if e.operation is not None:
            op = Operation(e.operation.name, dict(e.operation.parameters))
            _check_operation(op, e, ops, declared_ops, where, file, out, unused_params, check_operation_names)
        ckpt = None
        if e.checkpoint:
            ckpt = Path(e.checkpoint)
            ckpt = ckpt if ckpt.is_absolute() else file.parent / ckpt
        if e.id not in models:  # a duplicate id (reported above): the first model keeps it
            models[e.id] = Model(e.id, e.tag, e.base if e.base in ids else None, op, values, ckpt,
                                 e.created)
    out.problems.extend(_cycle_problems(models, file))
    if not out.problems:
        out.forest = ExperimentForest(title, models, ops, list(metrics), out.warnings)
    return out


def _metric_values(e: ModelEntry, specs: dict[str, MetricSpec], where: str, problems: list[str],
                   check_names: bool) -> dict[str, float]:
    values: dict[str, float] = {}
    for key, value in e.metrics.items():
        spec = specs.get(key)
        if spec is None:
            if check_names:
                problems.append(f"{where}: metrics.{name(key)}: metric is not declared in metrics"
                                f"{did_you_mean(key, specs.keys())}")
        elif value is not None and not math.isfinite(value):
            problems.append(f"{where}: metrics.{name(key)}: must be a finite number, got {value} "
                            "(use null for a missing value)")
        elif value is not None:
            if (why := outside_range(float(value), spec.min, spec.max, f"'{name(spec.name)}'")) is not None:
                problems.append(f"{where}: metrics.{name(key)}: {why}")
            values[key] = float(value)
    return values


def _check_operation(op: Operation, e: ModelEntry, ops: dict[str, OperationSpec], declared: list[str],
                     where: str, file: Path, out: Checked, unused: set[tuple[str, str, str | None]],
                     check_names: bool = True) -> None:
    """A near miss of a declared operation or parameter is a typo (refused, with 'did you mean');
    a name unlike every declared one is the reference's looser files (declared, with a warning).
    Values are finite; one outside its parameter's declared range or options is a warning."""
    if not op.name.strip():
        out.problems.append(f"{where}: operation.name: must not be empty")
        return
    for param, value in op.parameters.items():
        if not _finite(value):
            out.problems.append(f"{where}: operation.parameters.{name(param)}: must be a finite number, "
                                f"got {describe(value)} (use null for a missing value)")
    if not check_names:
        return
    if op.name not in ops:
        if declared and op.name not in declared and _close(op.name, declared):
            out.problems.append(f"{where}: operation.name: '{name(op.name)}' is not a declared operation"
                                f"{did_you_mean(op.name, declared)}")
            return
        ops[op.name] = OperationSpec(name=op.name)
        out.warnings.append(f"{file}: operation '{name(op.name)}' is used (first by model "
                            f"'{name(e.id)}') but not declared in operations")
        return
    params = sorted(ops[op.name].parameters)
    if not params or op.name not in declared:
        return  # nothing declared to compare with
    for param, value in op.parameters.items():
        if param in params:
            # the reference's files use values outside their declared options (t5-squad's
            # 'lateattention'): a warning, once per value, as for undeclared names
            why = _value_problem(value, ops[op.name].parameters[param], param)
            if why is not None and (op.name, param, repr(value)) not in unused:
                unused.add((op.name, param, repr(value)))
                out.warnings.append(f"{where}: operation.parameters.{name(param)}: {why}")
            continue
        if _close(param, params):
            out.problems.append(f"{where}: operation.parameters.{name(param)}: operation '{name(op.name)}' "
                                f"declares no parameter '{name(param)}'{did_you_mean(param, params)}")
        elif (op.name, param, None) not in unused:
            unused.add((op.name, param, None))
            out.warnings.append(f"{file}: operation '{name(op.name)}': parameter '{name(param)}' is used "
                                f"(first by model '{name(e.id)}') but not declared (declared: "
                                f"{', '.join(name(p) for p in params)})")


def _finite(value: object) -> bool:
    """False for NaN, infinities and ints too large for a float (they would break formatting)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return True
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _value_problem(value: object, spec: ParameterSpec, param: str) -> str | None:
    """A parameter value outside its declared range, or not among its declared options."""
    if spec.options is not None and value not in spec.options:
        choices = ", ".join(describe(o) for o in spec.options[:10])
        texts = [o for o in spec.options if isinstance(o, str)]
        hint = did_you_mean(value, texts) if isinstance(value, str) else ""
        return f"{describe(value)} is not one of the options of parameter '{name(param)}' ({choices}){hint}"
    if isinstance(value, int | float) and not isinstance(value, bool) and _finite(value):
        return outside_range(float(value), spec.min, spec.max, f"parameter '{name(param)}'")
    return None


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
            cycle = [name(c) for c in walk[walk.index(mid):] + [mid]]
            if len(cycle) > 9:  # a 10,000-model cycle is still one readable line
                cycle = cycle[:4] + [f"... ({len(cycle) - 8} more)"] + cycle[-4:]
            out.append(f"{file}: model '{name(mid)}': base: cycle of base links: " + " -> ".join(cycle))
        for w in walk:
            state[w] = 2
    return out

