"""Map layout (spec §4): the worked example, and the fast rows equal the literal algorithm."""

from __future__ import annotations

from functools import cmp_to_key

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backend.loader import load_experiment
from backend.map_layout import layout
from tests.conftest import REFERENCE_FILES, REFERENCE_TREES


def _m(i, base, op=None, **params):
    return {"id": i, "base": base, "operation": {"name": op, "parameters": params} if op else None}


EXAMPLE = [_m("base", None), _m("p50", "base", "Prune", amount=0.5), _m("p75", "base", "Prune", amount=0.75),
           _m("q", "base", "Quantize", bits=8), _m("p50t", "p50", "Train", epochs=10),
           _m("p50tq", "p50t", "Quantize", bits=8), _m("p50q", "p50", "Quantize", bits=8),
           _m("p75q", "p75", "Quantize", bits=8), _m("qp", "q", "Prune", amount=0.5)]


def _rows(lay) -> list[list[tuple[str, int]]]:
    out: dict[int, list] = {}
    for mid, (col, row) in lay.positions.items():
        out.setdefault(row, []).append((mid, col))
    return [sorted(out[r], key=lambda t: t[1]) for r in sorted(out)]


def test_worked_example_by_operation():
    lay = layout(EXAMPLE)
    assert lay.columns == ["Base", "Prune", "Train", "Quantize", "Prune"]
    assert _rows(lay) == [[("base", 0), ("q", 3), ("qp", 4)], [("p50", 1), ("p50q", 3)],
                          [("p50t", 2), ("p50tq", 3)], [("p75", 1), ("p75q", 3)]]


def test_worked_example_by_step():
    lay = layout(EXAMPLE, mode="step")
    assert lay.columns == ["Base", "Step 1", "Step 2", "Step 3"]
    assert _rows(lay) == [[("base", 0), ("p50", 1), ("p50t", 2), ("p50tq", 3)], [("p50q", 2)],
                          [("p75", 1), ("p75q", 2)], [("q", 1), ("qp", 2)]]


def test_userstudy_trunk_matches_paper_screenshot():
    forest = load_experiment(REFERENCE_TREES / "imagenet-userstudy-part1.json").forest
    lay = layout(forest.records())
    trunk = sorted((c, m) for m, (c, r) in lay.positions.items() if r == 0)
    assert [lay.columns[c] for c, _ in trunk] == ["train", "gradient prune", "calibrate"]


def test_imagenet_roots_sit_in_a_train_column():
    forest = load_experiment(REFERENCE_TREES / "imagenet.json").forest
    lay = layout(forest.records())
    assert lay.columns[0] == "train"
    assert {lay.positions[r][0] for r in forest.roots} == {0}


def test_unknown_mode_rejected():
    with pytest.raises(ValueError, match="unknown layout mode"):
        layout(EXAMPLE, mode="radial")


# --- the literal algorithms of spec §4.2–4.3 (slow, written straight from the spec) ----------

class _Tree:
    def __init__(self, models):
        self.ids = [m["id"] for m in models]
        self.op = {m["id"]: m["operation"] for m in models}
        self.parent = {m["id"]: m["base"] for m in models}
        self.children = {i: [] for i in self.ids}
        for m in models:
            if m["base"] is not None:
                self.children[m["base"]].append(m["id"])
        self.roots = [i for i in self.ids if self.parent[i] is None]
        self.edge_type = {i: (self.op[i] or {}).get("name") for i in self.ids}
        self.depth, self.paths = {}, []

        def walk(node, trail):
            self.depth[node] = len(trail)
            trail = trail + [node]
            if not self.children[node]:
                self.paths.append(trail)
            for c in self.children[node]:
                walk(c, trail)

        for r in self.roots:
            walk(r, [])


def _literal_columns(tree):
    columns, col = [], {}  # columns: list of unique column objects [type]
    for path in sorted(tree.paths, key=lambda p: (-len(p), [tree.edge_type[n] or "" for n in p])):
        for i, node in enumerate(path):  # reuse pass
            if node in col:
                continue
            idx = {id(c): k for k, c in enumerate(columns)}
            lower = next((idx[id(col[p])] + 1 for p in reversed(path[:i]) if p in col), 0)
            upper = next((idx[id(col[q])] for q in path[i + 1:] if q in col), len(columns))
            for k in range(lower, upper):
                if columns[k][0] == tree.edge_type[node]:
                    col[node] = columns[k]
                    break
        for i, node in enumerate(path):  # insert pass
            if node in col:
                continue
            idx = {id(c): k for k, c in enumerate(columns)}
            at = next((idx[id(col[p])] + 1 for p in reversed(path[:i]) if p in col), 0)
            new = [tree.edge_type[node]]
            columns.insert(at, new)
            col[node] = new
    idx = {id(c): k for k, c in enumerate(columns)}
    return {n: idx[id(c)] for n, c in col.items()}


def _js_lt(a, b):
    if isinstance(a, str) and isinstance(b, str):
        return a < b
    def num(v):
        try:
            return float(v)
        except (TypeError, ValueError):
            return float("nan")
    return num(a) < num(b)


def _literal_cmp(tree, col):
    def cmp(a, b):
        if a[0] == b[0]:
            for na, nb in zip(a, b):
                oa, ob = tree.op[na], tree.op[nb]
                if oa and ob and oa["name"] == ob["name"]:
                    pa, pb = oa.get("parameters") or {}, ob.get("parameters") or {}
                    for name in sorted(set(pa) | set(pb)):
                        if _js_lt(pa.get(name), pb.get(name)):
                            return -1
                        if _js_lt(pb.get(name), pa.get(name)):
                            return 1
        for na, nb in zip(a, b):
            if col[na] != col[nb]:
                return -1 if col[na] > col[nb] else 1
        return len(b) - len(a)
    return cmp


def _literal_rows(models, mode):
    tree = _Tree(models)
    col = dict(tree.depth) if mode == "step" else _literal_columns(tree)
    key = cmp_to_key(_literal_cmp(tree, col))
    edge_sorted = sorted(tree.paths, key=lambda p: (-len(p), [tree.edge_type[n] or "" for n in p]))

    def subtree_paths(node):
        d = tree.depth[node]
        return sorted([p[d:] for p in edge_sorted if len(p) > d and p[d] == node], key=key)

    rows: dict[str, int] = {}

    def layout_path(path, y):
        placed = False
        for n in path:
            if n not in rows:
                rows[n] = y
                placed = True
        if not placed:
            return y - 1
        cur = y
        for node in reversed(path):
            for sub in subtree_paths(node):
                if len(sub) > 1 and sub[1] not in path:
                    cur = layout_path(sub, cur + 1)
        return cur

    row, done = 0, set()
    for path in sorted(edge_sorted, key=key):
        if path[0] in done:
            continue
        done.add(path[0])
        row = layout_path(path, row) + 1
    return rows, col


@st.composite
def forests(draw):
    n = draw(st.integers(1, 18))
    ops = ["prune", "quantize", "train"]
    models = []
    for i in range(n):
        base = None if i == 0 or draw(st.integers(0, 9)) == 0 else f"m{draw(st.integers(0, i - 1))}"
        if base is None and draw(st.booleans()):
            op = None
        else:
            op = {"name": draw(st.sampled_from(ops)), "parameters": {"amount": draw(st.sampled_from([0.1, 0.5, 0.9, "x"]))}}
        models.append({"id": f"m{i}", "base": base, "operation": op})
    return models


def _consistent(models, mode) -> bool:
    """Whether the reference's path comparator is a total preorder on every set it sorts.

    When it is not (it can be intransitive: same-named operations compare by parameters,
    others by column), the reference's order depends on its sort's internals; we then only
    require a deterministic layout (checked in test_layout_properties).
    """
    tree = _Tree(models)
    col_of = dict(tree.depth) if mode == "step" else _literal_columns(tree)
    cmp = _literal_cmp(tree, col_of)
    groups = [tree.paths] + [[p[tree.depth[n]:] for p in tree.paths if len(p) > tree.depth[n] and p[tree.depth[n]] == n]
                             for n in tree.ids]
    for paths in groups:
        for a in paths:
            for b in paths:
                if (cmp(a, b) > 0) != (cmp(b, a) < 0):
                    return False
                for c in paths:
                    if cmp(a, b) <= 0 and cmp(b, c) <= 0 and cmp(a, c) > 0:
                        return False
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(forests(), st.sampled_from(["operation", "step"]))
def test_fast_rows_equal_literal_algorithm(models, mode):
    assume(_consistent(models, mode))
    lay = layout(models, mode)
    rows, cols = _literal_rows(models, mode)
    assert {m: r for m, (_, r) in lay.positions.items()} == rows
    assert {m: c for m, (c, _) in lay.positions.items()} == cols


@settings(max_examples=200, deadline=None)
@given(forests(), st.sampled_from(["operation", "step"]))
def test_layout_properties(models, mode):
    lay = layout(models, mode)
    assert set(lay.positions) == {m["id"] for m in models}
    assert len(set(lay.positions.values())) == len(models)  # no two models share a cell
    assert all(0 <= c < len(lay.columns) for c, _ in lay.positions.values())
    for m in models:
        if m["base"] is not None:  # a child is never left of (or level with) its parent
            assert lay.positions[m["id"]][0] > lay.positions[m["base"]][0]
    assert layout(models, mode) == lay  # deterministic


@pytest.mark.parametrize("name", REFERENCE_FILES)
def test_reference_trees_equal_literal_algorithm(name):
    forest = load_experiment(REFERENCE_TREES / name).forest
    for mode in ("operation", "step"):
        lay = layout(forest.records(), mode)
        assert len(set(lay.positions.values())) == len(forest)
        rows, cols = _literal_rows(forest.records(), mode)
        assert {m: r for m, (_, r) in lay.positions.items()} == rows
        assert {m: c for m, (c, _) in lay.positions.items()} == cols
