"""The config's ``derived_metrics``: each entry checked on its own, one line per problem.

Why at load: a typo in an expression should stop ``--check`` and the app's start with a line
naming the file, the entry and the field, not make a metric silently vanish from the page. The
checks are the ones ``backend.experiment.derived.extend`` applies to any definition (a free
name, an expression over the metrics declared before it), plus the config's own: its type, its
format, a name given twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from backend.experiment.changes import builtin_changes
from backend.experiment.derived import DerivedMetric
from backend.experiment.expressions import ExpressionError, compile_expression, parse
from backend.experiment.messages import item_label, name, pydantic_problems
from backend.experiment.rules import duplicate_problems, format_problem
from backend.experiment.schema import DerivedMetricSpec, MetricSpec

SECTION = "derived_metrics"


def derived_definitions(doc: dict[str, Any], file: Path, metrics: list[MetricSpec], names_known: bool,
                        problems: list[str]) -> tuple[DerivedMetric, ...]:
    """The valid definitions of ``doc``'s ``derived_metrics``; problems appended one line each.

    ``metrics`` are the declared metrics (config and models file merged). Where they are not all
    known (``names_known`` False: a metric spec has no usable name, the models were not read),
    expressions are checked for syntax only, so no false 'unknown metric' is reported.
    """
    raw = doc.get(SECTION)
    if not isinstance(raw, list):
        return ()  # absent, or not a list: the config's own type check says so
    declared = {m.name for m in metrics}
    builtin = {c.name for c in builtin_changes(metrics)} - declared
    known = {**dict.fromkeys(m.name for m in metrics), **dict.fromkeys(sorted(builtin))}
    valid: list[tuple[int, DerivedMetric]] = []
    for index, item in enumerate(raw):
        try:
            spec = DerivedMetricSpec.model_validate(item)
        except ValidationError as exc:
            problems.extend(pydantic_problems(exc, file, doc, (SECTION, index)))
            continue
        where = f"{file}: {item_label(SECTION, index, item)}"
        own = _own_problems(spec, where, declared, builtin, known, names_known)
        problems.extend(own)
        known[spec.name] = None  # later entries may use it (a refused one too: no cascade of errors)
        if not own:
            valid.append((index, DerivedMetric(spec.name, spec.expr, spec.format, spec.unit,
                                               spec.higher_is_better, spec.primary, spec.description)))
    names = [(i, item["name"]) for i, item in enumerate(raw)
             if isinstance(item, dict) and isinstance(item.get("name"), str)]
    duplicates = duplicate_problems(SECTION, names, file)
    problems.extend(duplicates)
    return tuple(d for _, d in valid) if not duplicates else ()


def _own_problems(spec: DerivedMetricSpec, where: str, declared: set[str], builtin: set[str],
                  known: dict[str, None], names_known: bool) -> list[str]:
    out = []
    if not spec.name.strip():
        out.append(f"{where}.name: must not be empty")
    elif spec.name in declared:
        out.append(f"{where}.name: '{name(spec.name)}' is already a metric (in metrics); pick another name")
    elif spec.name in builtin:
        out.append(f"{where}.name: '{name(spec.name)}' is a built-in change metric; pick another name")
    if spec.format is not None and (why := format_problem(spec.format)):
        out.append(f"{where}.format: {why}")
    try:
        compile_expression(spec.expr, known) if names_known else parse(spec.expr)
    except ExpressionError as exc:
        out.append(f"{where}.expr: {exc}")
    return out
