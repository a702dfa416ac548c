"""The search space behind ``experiment_table`` (spec §3.2–3.4): forest, candidates, replay.

The reference explores every candidate at every step and keeps the cheapest final table (ties go
to the later candidate). Three observations let ``_comparability_solver`` bound that without
changing its answer:

* The future of a search state depends only on its *available* nodes: the kept children of
  unexplored rows that are not in the table yet. Existing values never influence which
  candidates appear or what they cost.
* The cheapest cost reachable from there depends only on the *set of shapes* of those nodes'
  subtrees, where a shape is (deduplicated name, name, parameters, set of child shapes): every
  test of spec §3.3 (one deduplicated name?, at most 3 names?, which parameters vary?) looks at
  sets of names and values, never at multiplicities or row order. Row order only breaks ties.
  So costs to come are memoised under ``frozenset(shapes)``; ten identical siblings, or the
  same pending leaves at twenty levels, are one state (``Forest.shape``).
* The chosen table is rebuilt by replaying the real, ordered search and picking, at each step,
  the last candidate of minimum ``added cost + cost to come``: the reference's choice
  (``replay`` builds the table from that plan).

``exhaustive_plan`` is the reference's search without memoisation or bounds, kept as a test
oracle and as the benchmark baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backend.comparability.types import ABSENT, Variable, js_str, value_key

BASE_PARENT = "###BASE_PARENT###"
BASE_OPERATION = "Base Model"

Frontier = tuple[tuple[int, tuple[int, ...]], ...]


def get(obj: Any, key: str, default: Any = None) -> Any:
    """Read ``key`` from a mapping (the usual case) or an attribute of an object."""
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


@dataclass
class Forest:
    """The ancestor closure of a selection, with node 0 the virtual super-root (spec §3.2)."""

    ids: list[str]
    children: list[tuple[int, ...]]
    name: list[str]
    dname: list[str]
    params: list[dict]
    selected: set[int]
    shape: list[int]
    shapes: list[tuple[str, str, dict, frozenset]]

    @classmethod
    def build(cls, models: Sequence[Any], selection: Sequence[str]) -> Forest:
        """Keep the selected models, their ancestors and the super-root; children in list order.

        A ``base`` that names no model is treated as a root (the reference would crash), and a
        base cycle simply never connects to the super-root.
        """
        if not isinstance(models, Sequence):
            models = list(models)
        try:  # the common case (dicts) without a per-model isinstance check
            index = {m["id"]: i for i, m in enumerate(models)}
        except (TypeError, KeyError):
            index = {get(m, "id"): i for i, m in enumerate(models)}
        parent_of: dict[str, str | None] = {}
        for sid in selection:
            cur = sid
            while cur in index and cur not in parent_of:
                base = get(models[index[cur]], "base")
                parent_of[cur] = base if base and base in index else None
                cur = base
        kept = sorted(parent_of, key=index.__getitem__)
        node = {mid: i + 1 for i, mid in enumerate(kept)}
        ids = [BASE_PARENT, *kept]
        kids: list[list[int]] = [[] for _ in ids]
        for mid in kept:
            p = parent_of[mid]
            kids[node[p] if p is not None else 0].append(node[mid])
        name, real, params = [""], [False], [{}]
        for mid in kept:
            op = get(models[index[mid]], "operation")
            if op:
                name.append(str(get(op, "name")))
                real.append(True)
                params.append(dict(get(op, "parameters") or {}))
            else:
                name.append(BASE_OPERATION)
                real.append(False)
                params.append({"Base": mid})
        dname = [""] * len(ids)
        counts: dict[str, int] = {}
        stack: list[tuple[int, bool]] = [(c, True) for c in reversed(kids[0])]
        while stack:  # depth-first, counting real operation names along the path
            n, entering = stack.pop()
            if not entering:
                counts[name[n]] -= 1
                continue
            if real[n]:
                counts[name[n]] = counts.get(name[n], 0) + 1
                stack.append((n, False))
            k = counts.get(name[n], 0)  # real operations of this name on the path
            dname[n] = name[n] if k <= 1 else f"{name[n]} {k}"
            stack.extend((c, True) for c in reversed(kids[n]))
        selected = {node[s] for s in selection if s in node}
        children = [tuple(k) for k in kids]
        shape, shapes = _intern_shapes(children, name, dname, params)
        return cls(ids, children, name, dname, params, selected, shape, shapes)

    def start(self) -> Frontier:
        """The frontier of the initial table ``[(BASE_PARENT, [])]``."""
        return ((0, self.children[0]),) if self.children[0] else ()

    def varying(self, nodes: list[int]) -> list[str]:
        """Parameter names, first-seen order, with more than one distinct value among ``nodes``."""
        seen: dict[str, set] = {}
        for c in nodes:
            for k, v in self.params[c].items():
                seen.setdefault(k, set()).add(value_key(v))
        return [k for k, s in seen.items() if len(s) > 1]

    def short(self, c: int) -> str:
        """``short(op)`` of spec §3.1: ``"Prune 0.5, M"``."""
        return self.name[c] + " " + ", ".join(js_str(v) for v in self.params[c].values())


def _intern_shapes(children: list[tuple[int, ...]], name: list[str], dname: list[str],
                   params: list[dict]) -> tuple[list[int], list[tuple[str, str, dict, frozenset]]]:
    """Hash-cons every reachable subtree's shape to a small integer (children first)."""
    order, stack = [], list(children[0])
    while stack:
        n = stack.pop()
        order.append(n)
        stack.extend(children[n])
    shape = [-1] * len(children)
    ids: dict[tuple, int] = {}
    shapes: list[tuple[str, str, dict, frozenset]] = []
    for n in reversed(order):
        kids = frozenset(shape[c] for c in children[n])
        pkey = frozenset((k, value_key(v)) for k, v in params[n].items())
        key = (dname[n], name[n], pkey, kids)
        if key not in ids:
            ids[key] = len(shapes)
            shapes.append((dname[n], name[n], params[n], kids))
        shape[n] = ids[key]
    return shape, shapes


def _varying_count(param_dicts: list[dict]) -> int:
    seen: dict[str, set] = {}
    for p in param_dicts:
        for k, v in p.items():
            seen.setdefault(k, set()).add(value_key(v))
    return sum(1 for vals in seen.values() if len(vals) > 1)


@dataclass
class Candidate:
    """One expansion of spec §3.3. ``kind`` is "A", "B0" or "B" (one operation name)."""

    kind: str
    cost: int
    frontier: Frontier
    pairs: list[tuple[int, int]]
    name: str = ""
    params: tuple[str, ...] = ()


def expand(f: Forest, front: Frontier) -> list[Candidate]:
    """The candidates of one step, in the reference's order (spec §3.3)."""
    pairs = [(p, c) for p, rem in front for c in rem]
    if not pairs:
        return []
    kids, name = f.children, f.name
    advanced = tuple((c, kids[c]) for _, c in pairs if kids[c])
    if len({f.dname[c] for _, c in pairs}) == 1:
        params = f.varying([c for _, c in pairs])
        return [Candidate("A", 2 + len(params), advanced, pairs, f.dname[pairs[0][1]],
                          tuple(params))]
    out = [Candidate("B0", 5, advanced, pairs)]
    names = list(dict.fromkeys(name[c] for _, c in pairs))
    if len(names) <= 3:
        for nm in names:
            match = [(p, c) for p, c in pairs if name[c] == nm]
            params = f.varying([c for _, c in match])
            kept = []
            for p, rem in front:
                r = tuple(c for c in rem if name[c] != nm)
                if r:
                    kept.append((p, r))
            kept.extend((c, kids[c]) for _, c in match if kids[c])
            out.append(Candidate("B", 2 + len(params), tuple(kept), match, nm, tuple(params)))
    return out


def exhaustive_plan(forest: Forest) -> list[Candidate]:
    """The reference's exhaustive search (no memo): every branch to the end, ties to the later."""

    def search(front: Frontier) -> tuple[int, list[Candidate]]:
        best: tuple[int, list[Candidate]] | None = None
        for cand in expand(forest, front):
            sub_cost, sub_plan = search(cand.frontier)
            total = cand.cost + sub_cost
            if best is None or total <= best[0]:
                best = (total, [cand, *sub_plan])
        return best if best is not None else (0, [])

    return search(forest.start())[1]


def replay(f: Forest, plan: list[Candidate]) -> tuple[list[Variable], list[tuple[int, list]], int]:
    """Build the full table (all kept rows, all variables) that ``plan`` produces."""
    variables: list[Variable] = []
    rows: list[tuple[int, list]] = [(0, [])]
    values: dict[int, list] = {0: rows[0][1]}
    for cand in plan:
        params = cand.params
        if cand.kind == "B0":
            new_vars = [Variable("operation", "Operation")]
            default: list = [ABSENT]
            new_rows = [(c, [*values[p], f.short(c)]) for p, c in cand.pairs]
        else:
            op_name = f.name[cand.pairs[0][1]]
            if cand.kind == "A":
                label, absent, lower = cand.name, ABSENT, False
            else:
                label = f.short(cand.pairs[0][1]) if len(cand.pairs) == 1 else cand.name
                absent, lower = "none", True
            new_vars = [Variable("presence", label, operation=op_name)]
            new_vars += [Variable("parameter", q, operation=op_name, ref_lower_none=lower)
                         for q in params]
            default = [False] + [absent] * len(params)
            new_rows = [(c, [*values[p], True, *(f.params[c].get(q) for q in params)])
                        for p, c in cand.pairs]
        variables.extend(new_vars)
        for _, vals in rows:
            vals.extend(default)
        for c, vals in new_rows:
            rows.append((c, vals))
            values[c] = vals
    return variables, rows, sum(v.cost for v in variables)
