"""Which variables explain how selected models differ (spec §3, the bar charts' x and colour).

Public API::

    experiment_table(models, selection) -> ComparisonTable   # spec §3.2–3.4, constants dropped
    simplify_table(table) -> ComparisonTable                  # spec §3.5–3.6, the page pipeline
    refine(models, table, allowed) -> ComparisonTable         # spec §1.8 semantics

``models`` is any sequence of mappings with ``id``, ``base`` (None for roots) and ``operation``
(None or ``{"name", "parameters"}``); other keys are ignored.

Same semantics as the reference: for every selection, the same number of variables, the same
kinds, and the same grouping of models by each variable's values, before and after
simplification. Where the reference is only cosmetically wrong we do better:

* merged variables get a readable label ("Prune → Quantize" for a cumulative sequence,
  "Quantize int8 / Prune" otherwise, "Operations" for a flattened table), operation variables
  are labelled "Operation", and merged values lose the reference's stray leading space;
* ``orderings`` are re-indexed when columns merge and are meant for the x axis too (see
  :func:`axis_order`), so the x axis follows sequence order rather than the alphabet;
* the reference's lower-case "none" absent marker of Case-B parameters is shown as "None" like
  every other absent marker (so no "amount none" label), whenever that is one-to-one;
* flattening keeps falsy parameter values such as 0 ("amount 0", not dropped) and reads a
  parameter equal to 1 as "amount 1" (the reference: "amount"); this is the one place where our
  grouping is deliberately finer than the reference's;
* a parameter missing from one model's operation and a JSON null are the same value, ``None``
  (JavaScript tells ``undefined`` from ``null``; JSON cannot);
* the search is memoised over subtree shapes and bounded by branch and bound
  (``backend/_comparability_solver.py``): the same answer as the exhaustive search, which stays
  available as ``experiment_table(..., exhaustive=True)`` for tests and benchmarks.

Values keep JavaScript semantics: compare them with :func:`value_key` (``True`` is not ``1``) and
show them with :func:`format_value` (``true``, ``1`` rather than ``1.0``).

Refinement is signalled by ``ComparisonTable.needs_refinement`` (more than two variables): on the
table returned by :func:`simplify_table` it means no chart can be drawn and the refinement menu
should open with the "cannot be directly compared" message; the table keeps its variables so the
caller can still show them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from backend.comparability.search import Forest, exhaustive_plan, replay
from backend.comparability.simplify import simplify
from backend.comparability.solver import Solver
from backend.comparability.types import (
    ABSENT,
    COSTS,
    KINDS,
    ComparisonTable,
    Variable,
    distinct,
    js_str,
    value_key,
)

__all__ = [
    "ABSENT",
    "COSTS",
    "KINDS",
    "ComparisonTable",
    "Variable",
    "axis_order",
    "experiment_table",
    "format_value",
    "refine",
    "simplify_table",
    "value_key",
]


def experiment_table(models: Sequence[Mapping[str, Any]], selection: Sequence[str],
                     *, exhaustive: bool = False) -> ComparisonTable:
    """The raw table of spec §3.2: minimum-cost variables, selected rows, constants dropped.

    Rows come in the search's table order (not selection order). Ids that name no model are
    ignored. ``exhaustive=True`` runs the reference's unmemoised search instead (exponential;
    for tests and benchmarks only) and must give the identical table.
    """
    forest = Forest.build(models, selection)
    plan = exhaustive_plan(forest) if exhaustive else Solver(forest).plan()
    variables, rows, cost = replay(forest, plan)
    picked = [(forest.ids[n], vals) for n, vals in rows if n in forest.selected]
    keep, out_vars = [], []
    for i, var in enumerate(variables):
        col = [vals[i] for _, vals in picked]
        if len(distinct(col)) <= 1:
            continue
        keep.append(i)
        if var.ref_lower_none:
            # Show the reference's "none" as "None" unless a real "None" would then collide.
            var = Variable(var.kind, var.label, var.operation, ABSENT not in col)
        out_vars.append(var)
    out_rows = []
    for mid, vals in picked:
        row = []
        for i, var in zip(keep, out_vars, strict=True):
            v = vals[i]
            row.append(ABSENT if var.ref_lower_none and v == "none" else v)
        out_rows.append((mid, tuple(row)))
    return ComparisonTable(out_vars, out_rows, {}, cost)


def simplify_table(table: ComparisonTable) -> ComparisonTable:
    """Reduce a raw table to at most two chartable variables when the reference would.

    Runs the page's pipeline of spec §3.5 (implication merges, cumulative merges with an
    ordering, small-domain pairs, the flatten rule). If more than two variables remain, the
    result has ``needs_refinement`` set and still lists them.
    """
    return simplify(table)


def refine(models: Sequence[Mapping[str, Any]], table: ComparisonTable,
           allowed: Mapping[int, Sequence[Any]]) -> ComparisonTable:
    """Filter a raw table's rows by the refinement menu and recompute the raw table (spec §1.8).

    ``allowed`` maps a variable index of ``table`` to its allowed values: a row passes when, for
    every index, the list is empty or holds the row's value (AND across variables, OR within
    one). Indices outside the table are ignored. When every row passes, ``table`` itself is
    returned, as the reference keeps the full table; otherwise the surviving models go through
    :func:`experiment_table` again, so the variables may change. Simplify the result as usual.
    """
    nv = len(table.variables)
    tests = [(int(i), {value_key(v) for v in vals}) for i, vals in allowed.items()
             if vals and 0 <= int(i) < nv]
    kept = [mid for mid, vals in table.rows
            if all(value_key(vals[i]) in ok for i, ok in tests)]
    if len(kept) == len(table.rows):
        return table
    return experiment_table(models, kept)


def format_value(value: Any) -> str:
    """A value as the reference displays it: ``true``/``false``, ``0.5``, ``1`` (not ``1.0``)."""
    return js_str(value)


def _chart_sort_key(value: Any) -> tuple:
    """Spec §1.8 ``sortChartValuesFn``, improved: "none"/"null" first, numbers by value."""
    if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
        return (0, 0, "")
    if isinstance(value, bool):
        return (1, 0, js_str(value))
    if isinstance(value, (int, float)):
        return (1, 1, float(value))
    return (1, 2, js_str(value).casefold())


def axis_order(table: ComparisonTable, index: int) -> list:
    """The display order of variable ``index``'s values, for the x axis and the colour domain.

    A merged sequence variable keeps its stored ordering (operations applied in order), which
    the reference used only for colour; other values sort with absent markers first.
    """
    values = table.distinct_values(index)
    if index in table.orderings:
        present = {value_key(x) for x in values}
        order = [v for v in table.orderings[index] if value_key(v) in present]
        listed = {value_key(v) for v in order}
        return order + [v for v in values if value_key(v) not in listed]
    return sorted(values, key=_chart_sort_key)
