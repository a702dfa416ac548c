"""Properties of the comparability engine on random forests (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.comparability import KINDS, experiment_table, refine, simplify_table, value_key

OPS = ["Prune", "Quantize", "Train"]
VALUES = [0, 0.5, 1, True, "int8", None]


@st.composite
def forests(draw, max_models: int = 12) -> list[dict]:
    n = draw(st.integers(1, max_models))
    models = []
    for i in range(n):
        root = i == 0 or draw(st.integers(0, 6)) == 0
        base = None if root else f"m{draw(st.integers(0, i - 1))}"
        if root and draw(st.booleans()):
            op = None
        else:
            params = draw(st.dictionaries(st.sampled_from(["amount", "bits"]), st.sampled_from(VALUES),
                                          max_size=2))
            op = {"name": draw(st.sampled_from(OPS)), "parameters": params}
        models.append({"id": f"m{i}", "base": base, "operation": op, "metrics": {}})
    return draw(st.permutations(models))  # list order decides sibling order


@st.composite
def cases(draw, max_models: int = 12, max_selected: int = 16) -> tuple[list[dict], list[str]]:
    models = draw(forests(max_models))
    ids = [m["id"] for m in models]
    picked = draw(st.lists(st.sampled_from(ids), max_size=max_selected, unique=True))
    if draw(st.integers(0, 9)) == 0:
        picked.append("not-a-model")
    return models, picked


def _keys(values: tuple) -> tuple:
    return tuple(value_key(v) for v in values)


@settings(max_examples=200, deadline=None)
@given(cases())
def test_tables_are_well_formed(case):
    models, selection = case
    raw = experiment_table(models, selection)
    known = {m["id"] for m in models}
    # every selected model appears exactly once, unknown ids are dropped
    assert sorted(raw.ids) == sorted(set(selection) & known)
    assert all(v.kind in KINDS and v.kind != "sequence" for v in raw.variables)
    for i in range(len(raw.variables)):  # constants were dropped
        assert len(raw.distinct_values(i)) > 1
    assert all(len(vals) == len(raw.variables) for _, vals in raw.rows)
    # deterministic
    assert experiment_table(models, list(selection)) == raw
    simple = simplify_table(raw)
    assert simplify_table(raw) == simple
    assert simple.ids == raw.ids
    # at most two chartable variables, or the refinement menu is offered
    assert len(simple.variables) <= 2 or (simple.needs_refinement and raw.needs_refinement)
    assert len(simple.variables) <= len(raw.variables)
    # simplification only merges: a simplified value is a function of the raw values, and
    # variables that were not merged are unchanged
    seen: dict = {}
    for (_, r), (_, s) in zip(raw.rows, simple.rows, strict=True):
        assert seen.setdefault(_keys(r), _keys(s)) == _keys(s)
    raw_cols = {(v.kind, v.label, _keys(tuple(raw.column(i)))) for i, v in enumerate(raw.variables)}
    for i, v in enumerate(simple.variables):
        if v.kind != "sequence":
            assert (v.kind, v.label, _keys(tuple(simple.column(i)))) in raw_cols
    for i, order in simple.orderings.items():
        assert simple.variables[i].kind == "sequence"
        assert {value_key(x) for x in simple.column(i)} <= {value_key(x) for x in order}


@settings(max_examples=120, deadline=None)
@given(cases(max_models=10, max_selected=8))
def test_bounded_search_equals_exhaustive(case):
    models, selection = case
    assert experiment_table(models, selection) == experiment_table(models, selection, exhaustive=True)


@settings(max_examples=100, deadline=None)
@given(cases(), st.data())
def test_refinement(case, data):
    models, selection = case
    raw = experiment_table(models, selection)
    assert refine(models, raw, {}) == raw
    everything = {i: raw.distinct_values(i) for i in range(len(raw.variables))}
    assert refine(models, raw, everything) == raw
    if not raw.variables:
        return
    i = data.draw(st.integers(0, len(raw.variables) - 1))
    value = data.draw(st.sampled_from(raw.distinct_values(i)))
    kept = [mid for mid, vals in raw.rows if value_key(vals[i]) == value_key(value)]
    refined = refine(models, raw, {i: [value]})
    assert refined == experiment_table(models, kept)
    assert sorted(refined.ids) == sorted(kept) and len(kept) < len(raw.rows)
