"""Model Map layout (spec §4): the worked example, the reference trees, and random forests
against a literal, per-visit transcription of the reference's algorithm."""

from __future__ import annotations

from functools import cmp_to_key

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.overview.js_semantics import UNDEFINED as _UNDEFINED
from backend.overview.js_semantics import js_order as _js_order
from backend.overview.map_layout import layout
from tests.conftest import REFERENCE_FILES, load_reference_json


def _m(mid, base=None, op=None, **params):
    return {"id": mid, "base": base, "operation": {"name": op, "parameters": params} if op else None}


EXAMPLE = [_m("base"), _m("p50", "base", "Prune", amount=0.5), _m("p75", "base", "Prune", amount=0.75),
           _m("q", "base", "Quantize", precision="int8"), _m("p50t", "p50", "Train", epochs=10),
           _m("p50tq", "p50t", "Quantize", precision="int8"), _m("p50q", "p50", "Quantize", precision="int8"),
           _m("p75q", "p75", "Quantize", precision="int8"), _m("qp", "q", "Prune", amount=0.5)]


def _rows(lay) -> list[list[tuple[str, int]]]:
    out: dict[int, list] = {}
    for mid, (col, row) in lay.positions.items():
        out.setdefault(row, []).append((mid, col))
    return [sorted(out[r], key=lambda t: t[1]) for r in sorted(out)]


@pytest.mark.parametrize("exact", [True, False])
def test_worked_example_by_operation(exact):
    lay = layout(EXAMPLE, exact=exact)
    assert lay.columns == ["Base", "Prune", "Train", "Quantize", "Prune"]
    assert _rows(lay) == [[("base", 0), ("q", 3), ("qp", 4)], [("p50", 1), ("p50q", 3)],
                          [("p50t", 2), ("p50tq", 3)], [("p75", 1), ("p75q", 3)]]


@pytest.mark.parametrize("exact", [True, False])
def test_worked_example_by_step(exact):
    lay = layout(EXAMPLE, mode="step", exact=exact)
    assert lay.columns == ["Base", "Step 1", "Step 2", "Step 3"]
    assert _rows(lay) == [[("base", 0), ("p50", 1), ("p50t", 2), ("p50tq", 3)], [("p50q", 2)],
                          [("p75", 1), ("p75q", 2)], [("q", 1), ("qp", 2)]]


def test_userstudy_trunk_matches_the_paper():
    lay = layout(load_reference_json("imagenet-userstudy-part1.json")["models"])
    trunk = sorted(c for c, r in lay.positions.values() if r == 0)
    assert [lay.columns[c] for c in trunk] == ["train", "gradient prune", "calibrate"]


def test_imagenet_roots_sit_in_a_train_column():
    models = load_reference_json("imagenet.json")["models"]
    lay = layout(models)
    roots = [m["id"] for m in models if m.get("base") is None]
    assert len(roots) == 2 and {lay.positions[r][0] for r in roots} == {0}
    assert lay.columns[0] == "train" and lay.columns.count("train") > 1  # repeated columns


@pytest.mark.parametrize("name", REFERENCE_FILES)
def test_reference_trees(name):
    models = load_reference_json(name)["models"]
    for mode in ("operation", "step"):
        lay = layout(models, mode)
        _check_properties(models, lay, mode)
        assert lay == _reference_layout(models, mode)
        assert layout(models, mode, exact=False) == lay  # the fast rows agree on real trees


def test_edge_cases():
    assert layout([]) == layout([], "step")
    assert layout([]).columns == [] and layout([]).positions == {}
    orphan = [_m("a", "missing", "Prune", amount=1), _m("b", "a", "Train")]
    assert layout(orphan).positions == {"a": (0, 0), "b": (1, 0)}  # unknown base: a root
    cycle = [_m("r"), _m("x", "y", "Prune"), _m("y", "x", "Prune")]
    assert layout(cycle).positions == {"r": (0, 0)}  # a base cycle gets no position
    with pytest.raises(ValueError, match="unknown layout mode"):
        layout(EXAMPLE, mode="radial")


def test_javascript_comparisons():
    assert _js_order(0.1, "x") == 1 and _js_order("x", 0.1) == 1  # NaN: neither == nor <
    assert _js_order(1, True) == 0 and _js_order("10", 9) == 1 and _js_order("9", 10) == -1
    assert _js_order(None, 0) == 1 and _js_order(None, _UNDEFINED) == 0
    assert _js_order("a", "b") == -1 and _js_order("\uffff", "\U0001f600") == 1  # UTF-16 order


# --- the reference, transcribed literally (per-visit listing and sorting, recursion) ----------

def _reference_layout(models, mode):
    from backend.overview.map_layout import MapLayout

    ids = [m["id"] for m in models]
    parent = {m["id"]: m.get("base") for m in models}
    op = {m["id"]: m.get("operation") for m in models}
    edge = {i: (op[i]["name"] if op[i] is not None else None) for i in ids}
    children = {i: [c for c in ids if parent[c] == i] for i in ids}

    def list_paths(nodes):
        paths = []
        for leaf in (n for n in nodes if not children[n]):
            path, cur = [], leaf
            while cur in nodes:
                path.append(cur)
                cur = parent[cur]
            paths.append(path[::-1])

        def cmp(a, b):
            if len(a) != len(b):
                return len(b) - len(a)
            for x, y in zip(a, b, strict=True):
                if edge[x] != edge[y]:
                    return -1 if (edge[x] or "").encode("utf-16-be") < (edge[y] or "").encode(
                        "utf-16-be") else 1
            return 0

        return sorted(paths, key=cmp_to_key(cmp))

    paths = list_paths(ids)
    if mode == "step":
        width = max((len(p) for p in paths), default=0)
        columns = [["Base" if i == 0 else f"Step {i}"] for i in range(width)]
        place = {n: columns[i] for p in paths for i, n in enumerate(p)}
    else:
        columns, place = [], {}
        for path in paths:
            assigned = [i for i, n in enumerate(path) if n in place]

            def lower(i, path=path, assigned=assigned):
                prev = max((a for a in assigned if a < i), default=0)
                idx = next((k for k, c in enumerate(columns) if c is place.get(path[prev])), -1)
                return 0 if idx < 0 else idx + 1

            for i, n in enumerate(path):  # reuse pass
                if n not in place:
                    lo = lower(i)
                    hit = next((k for k in range(lo, len(columns)) if columns[k][0] == (edge[n] or None)),
                               None)
                    if hit is not None:
                        place[n] = columns[hit]
                        assigned.append(i)
            for i, n in enumerate(path):  # insert pass
                if n not in place:
                    at = lower(i) if columns else 0
                    columns.insert(at, [edge[n] or None])
                    place[n] = columns[at]
                    assigned.append(i)
        for c in columns:
            c[0] = c[0] or "Base"
    col = {n: next(k for k, c in enumerate(columns) if c is place[n]) for n in place}

    def sort_fn(a, b):
        if a[0] == b[0]:  # sortByOperation
            for i in range(1, min(len(a), len(b))):
                if a[i] == b[i]:
                    continue
                oa, ob = op[a[i]], op[b[i]]
                if oa is None and ob is None:
                    break
                if oa is not None and ob is not None and oa["name"] == ob["name"]:
                    decided = next((r for k in sorted(oa["parameters"], key=lambda s: s.encode("utf-16-be"))
                                    if (r := _js_order(oa["parameters"][k],
                                                       ob["parameters"].get(k, _UNDEFINED)))), 0)
                    if decided:
                        return decided
        for x, y in zip(a, b, strict=False):
            if col[x] != col[y]:
                return col[y] - col[x]
        return len(b) - len(a)

    key = cmp_to_key(sort_fn)
    rows: dict = {}

    def component(n):
        out = [n]
        for c in children[n]:
            out += component(c)
        return out

    def layout_path(path, y):
        placed = False
        for n in path:
            if n not in rows:
                rows[n] = y
                placed = True
        if not placed:
            return y - 1
        cur = y
        for n in reversed(path):
            for sub in sorted(list_paths(component(n)), key=key):
                if len(sub) > 1 and sub[1] not in path:
                    cur = layout_path(sub, cur + 1)
        return cur

    row, seen = 0, set()
    for path in sorted(paths, key=key):
        if path[0] not in seen:
            seen.add(path[0])
            row = layout_path(path, row) + 1
    return MapLayout([c[0] for c in columns], {n: (col[n], rows[n]) for n in ids if n in rows})


def _check_properties(models, lay, mode):
    assert set(lay.positions) == {m["id"] for m in models}
    assert len(set(lay.positions.values())) == len(models)  # no two models share a cell
    assert all(0 <= c < len(lay.columns) for c, _ in lay.positions.values())
    for m in models:
        if m.get("base") is not None:  # a child is never left of (or level with) its parent
            assert lay.positions[m["id"]][0] > lay.positions[m["base"]][0]
    if mode == "step":
        assert lay.columns[:2] == ["Base", "Step 1"][:len(lay.columns)]


@st.composite
def forests(draw, uniform: bool = False):
    n = draw(st.integers(1, 16))
    names = ["Prune", "Quantize", "Train"]
    models, depth = [], {}
    for i in range(n):
        root = i == 0 or (not uniform and draw(st.integers(0, 7)) == 0)
        base = None if root else f"m{draw(st.integers(0, i - 1))}"
        depth[f"m{i}"] = 0 if root else depth[base] + 1
        if uniform:  # one tree, one operation per depth, numbers: the comparator is an order
            op = {"name": names[depth[f"m{i}"] % 3],
                  "parameters": {"a": draw(st.sampled_from([1, 2])), "b": draw(st.sampled_from([0.5, 9]))}}
        elif root and draw(st.booleans()):
            op = None
        else:
            op = {"name": draw(st.sampled_from([*names, "train"])),
                  "parameters": draw(st.dictionaries(st.sampled_from(["amount", "b"]),
                                                     st.sampled_from([0.1, 0.5, 1, "x", "1", True, None]),
                                                     max_size=2))}
        models.append({"id": f"m{i}", "base": base, "operation": op})
    return models if uniform else draw(st.permutations(models))


@settings(max_examples=120, deadline=None)
@given(forests(), st.sampled_from(["operation", "step"]))
def test_equals_the_literal_reference(models, mode):
    lay = layout(models, mode, exact=True)
    _check_properties(models, lay, mode)
    assert lay == _reference_layout(models, mode)
    assert layout(models, mode, exact=True) == lay  # deterministic


@settings(max_examples=100, deadline=None)
@given(forests(uniform=True), st.sampled_from(["operation", "step"]))
def test_fast_rows_equal_exact_rows_when_the_comparator_is_an_order(models, mode):
    fast = layout(models, mode, exact=False)
    _check_properties(models, fast, mode)
    assert fast == layout(models, mode, exact=True)


@settings(max_examples=60, deadline=None)
@given(forests(), st.sampled_from(["operation", "step"]))
def test_fast_rows_are_a_valid_layout(models, mode):
    fast = layout(models, mode, exact=False)
    _check_properties(models, fast, mode)
    assert fast.columns == layout(models, mode, exact=True).columns
