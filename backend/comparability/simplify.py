"""The page's simplification pipeline (spec §3.5–3.6), reproducing the reference's decisions.

Every decision (which columns merge, whether a merge "reduces enough", whether to flatten) is
taken on the reference's own value strings, so the number of variables, their kinds and the
grouping of models are the reference's. Readable strings replace the reference strings only at
the end, and only where the replacement is one-to-one (so it cannot merge or split a group).
"""

from __future__ import annotations

import math

from backend.comparability.types import (
    ABSENT,
    ComparisonTable,
    Variable,
    js_str,
    value_key,
)

INF = 10**9
ABSENT_STRINGS = ("none", "null", "")


def _truthy(v: object) -> bool:
    """JavaScript truthiness of a scalar."""
    if isinstance(v, float) and math.isnan(v):
        return False
    return bool(v)


def _ref_part(var: Variable, v: object) -> str:
    """One variable's contribution to ``_concatenateValuesForPositions`` (exact reference)."""
    if var.kind == "presence":
        return var.label if _truthy(v) else ""
    if v is None or v == "None":
        return ""
    label = var.label if var.kind == "parameter" else ""
    return f"{label} {js_str(v)}"


def _nice_part(var: Variable, v: object) -> str:
    """The readable contribution: no leading space, the absent marker never shown as a value."""
    if var.kind == "presence":
        return var.label if _truthy(v) else ""
    if v is None or v == ABSENT or (var.ref_lower_none and v == "none"):
        return ""
    return f"{var.label} {js_str(v)}" if var.kind == "parameter" else js_str(v)


def _concat(parts: list[str], truthy: list[bool], cumulative: bool) -> str:
    if cumulative:
        last = max((i for i, t in enumerate(truthy) if t), default=-1)
        parts = [parts[last]] if last >= 0 else []
    return " & ".join(p for p in parts if p) or "None"


def _concat_ref(table: ComparisonTable, pos: list[int], cumulative: bool) -> list[str]:
    out = []
    for _, vals in table.rows:
        sel = [vals[p] for p in pos]
        parts = [_ref_part(table.variables[p], v) for p, v in zip(pos, sel, strict=True)]
        out.append(_concat(parts, [_truthy(v) for v in sel], cumulative))
    return out


def _is_cumulative(table: ComparisonTable, pos: list[int]) -> bool:
    """All presence variables, nested: column a false implies every later column b false."""
    if not all(table.variables[p].kind == "presence" for p in pos):
        return False
    cols = [table.column(p) for p in pos]
    for a in range(len(cols)):
        for b in range(a + 1, len(cols)):
            if any(not _truthy(x) and _truthy(y) for x, y in zip(cols[a], cols[b], strict=True)):
                return False
    return True


def merge(table: ComparisonTable, pos: list[int], require_consecutive: bool = True,
          require_cumulative: bool = False) -> tuple[ComparisonTable, int] | None:
    """``_simplifyVariablesAtPositions``: replace ``pos`` by one sequence variable at min(pos)."""
    if require_consecutive and max(pos) - min(pos) != len(pos) - 1:
        return None
    cumulative = _is_cumulative(table, pos)
    if require_cumulative and not cumulative:
        return None
    ref = _concat_ref(table, pos, cumulative)
    nice = []
    for _, vals in table.rows:
        sel = [vals[p] for p in pos]
        parts = [_nice_part(table.variables[p], v) for p, v in zip(pos, sel, strict=True)]
        nice.append(_concat(parts, [_truthy(v) for v in sel], cumulative))
    mapping = dict(zip(ref, nice, strict=True))
    one_to_one = len(mapping) == len(set(mapping.values())) and all(
        mapping[r] == n for r, n in zip(ref, nice, strict=True))
    labels = [table.variables[p].label for p in pos]
    var = Variable("sequence", (" → " if cumulative else " / ").join(labels),
                   display=tuple(mapping.items()) if one_to_one else ())
    at = min(pos)
    gone = set(pos)
    rows = []
    for (mid, vals), value in zip(table.rows, ref, strict=True):
        kept = [v for i, v in enumerate(vals) if i not in gone]
        rows.append((mid, tuple(kept[:at] + [value] + kept[at:])))
    variables = [v for i, v in enumerate(table.variables) if i not in gone]
    variables.insert(at, var)
    orderings = {}
    for i, order in table.orderings.items():  # re-indexed (the reference leaves them stale)
        if i not in gone:
            j = i - sum(1 for p in pos if p < i)
            orderings[j + 1 if j >= at else j] = order
    if cumulative:
        weights = [sum(1 for p in pos if _truthy(vals[p])) for _, vals in table.rows]
        order = sorted(range(len(ref)), key=weights.__getitem__)
        orderings[at] = list(dict.fromkeys(ref[r] for r in order))
    return ComparisonTable(variables, rows, orderings, table.cost), at


def simplify_implications(table: ComparisonTable, extra: int = 1, max_group: int = INF,
                          require_cumulative: bool = False) -> ComparisonTable:
    """``simplifyConstantValuePositions``, quirks included (only the top-ranked column is tried,
    positions are sorted as strings, the last window is never tried)."""
    nv = len(table.variables)
    keys = [[value_key(v) for v in table.column(i)] for i in range(nv)]
    ndist = [len(set(k)) for k in keys]
    found: dict[int, list[int]] = {}
    for i in range(nv):
        if ndist[i] <= 1 or (require_cumulative and table.variables[i].kind != "presence"):
            continue
        for v in dict.fromkeys(keys[i]):
            rows_v = [r for r, k in enumerate(keys[i]) if k == v]
            for j in range(i):
                if ndist[j] > 1 and len({keys[j][r] for r in rows_v}) == 1:
                    found.setdefault(i, []).append(j)
    if not found:
        return table
    top, js = sorted(found.items(), key=lambda e: -len(e[1]))[0]
    cand = sorted({top, *js}, key=str)
    for start in range(max(1, len(cand) - max_group)):
        pos = cand[start:start + max_group]
        if any(table.variables[p].kind == "sequence" for p in pos):
            continue
        res = merge(table, pos, True, require_cumulative)
        if res is None:
            continue
        new, at = res
        if len(new.distinct_values(at)) > len(pos) + extra:
            continue
        return simplify_implications(new, extra)
    return table


def simplify_small_domains(table: ComparisonTable, max_unique: int = 6) -> ComparisonTable:
    """``simplifySmallDomainVariables``: merge the first adjacent pair with few combined values."""
    for i in range(len(table.variables) - 1):
        if len(set(_concat_ref(table, [i, i + 1], False))) <= max_unique:
            if any(table.variables[p].kind == "sequence" for p in (i, i + 1)):
                return table
            res = merge(table, [i, i + 1], True, False)
            return table if res is None else simplify_small_domains(res[0], max_unique)
    return table


def flatten(table: ComparisonTable) -> ComparisonTable:
    """``flattenExperimentTable``, minus its bug: falsy parameter values (0, false) are kept
    ("amount 0"), and a parameter equal to 1 reads "amount 1" rather than just "amount"."""
    rows = []
    for mid, vals in table.rows:
        parts = []
        for var, v in zip(table.variables, vals, strict=True):
            if var.kind == "presence":
                if _truthy(v):
                    parts.append(var.label)
            elif v is None or (isinstance(v, str) and v.strip().lower() in ABSENT_STRINGS):
                continue
            else:
                parts.append(f"{var.label} {js_str(v)}" if var.kind == "parameter"
                             else js_str(v))
        rows.append((mid, (" & ".join(parts) or "None",)))
    return ComparisonTable([Variable("sequence", "Operations")], rows, {}, table.cost)


def _reference_values(table: ComparisonTable) -> ComparisonTable:
    """Undo the display relabelling of the reference's lower-case "none" absent marker."""
    cols = [i for i, v in enumerate(table.variables) if v.ref_lower_none]
    if not cols:
        return table
    rows = [(mid, tuple("none" if i in cols and v == ABSENT else v for i, v in enumerate(vals)))
            for mid, vals in table.rows]
    return ComparisonTable(table.variables, rows, table.orderings, table.cost)


def display_values(table: ComparisonTable) -> ComparisonTable:
    """Swap reference strings for readable ones where that is one-to-one."""
    maps: dict[int, dict] = {}
    for i, var in enumerate(table.variables):
        if var.ref_lower_none:
            maps[i] = {"none": ABSENT}
        elif var.display:
            maps[i] = dict(var.display)
    if not maps:
        return table
    rows = [(mid, tuple(maps[i].get(v, v) if i in maps and isinstance(v, str) else v
                        for i, v in enumerate(vals))) for mid, vals in table.rows]
    orderings = {i: [maps[i].get(v, v) if i in maps else v for v in order]
                 for i, order in table.orderings.items()}
    return ComparisonTable(table.variables, rows, orderings, table.cost)


def simplify(raw: ComparisonTable) -> ComparisonTable:
    """The page's ``attemptTableSimplify`` (spec §3.5)."""
    raw = _reference_values(raw)
    s = raw
    if len(s.variables) > 2:
        s = simplify_implications(s, 1, INF, require_cumulative=True)
    else:
        s = simplify_implications(s, 1, 3)
    if len(s.variables) > 2:
        s = simplify_implications(s, 1, 3)
    if len(s.variables) > 2:
        s = simplify_small_domains(s)
    size = len(raw.rows)
    combos = math.prod(len(s.distinct_values(i)) for i in range(len(s.variables)))
    if len(raw.variables) > 2 and size < 6 and size < combos - 1:
        s = flatten(raw)
    return display_values(s)
