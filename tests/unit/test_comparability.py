"""Comparability engine (spec §3): the worked examples of §3.8, the reference trees, refinement,
the simplifier's quirks, our cosmetic fixes, and the bounded search against the exhaustive one."""

from __future__ import annotations

import time

import pytest

from backend.comparability import (
    ComparisonTable,
    Variable,
    axis_order,
    experiment_table,
    format_value,
    refine,
    simplify_table,
)
from tests.conftest import REFERENCE_FILES, load_reference_json


def _m(mid, base=None, op=None, **params):
    return {"id": mid, "base": base, "operation": {"name": op, "parameters": params} if op else None}


def _vars(table):
    return [(v.kind, v.label) for v in table.variables]


def _col(table, i=0):
    return dict(zip(table.ids, table.column(i), strict=True))


SWEEP = [_m("base"), _m("p25", "base", "Prune", sparsity=0.25), _m("p50", "base", "Prune", sparsity=0.5),
         _m("p75", "base", "Prune", sparsity=0.75)]
SIBLINGS = [_m("base"), _m("pr", "base", "Prune", amount=0.5), _m("q", "base", "Quantize", precision="int8")]
CHAIN = [_m("base"), _m("p", "base", "Prune", amount=0.5), _m("q", "p", "Quantize", precision="int8"),
         _m("t", "q", "Train", epochs=10)]


# --- spec §3.8, example 1: a parameter sweep -------------------------------------------------

def test_sweep_leaves_give_one_parameter():
    raw = experiment_table(SWEEP, ["p25", "p50", "p75"])
    assert _vars(raw) == [("parameter", "sparsity")]
    assert raw.rows == [("p25", (0.25,)), ("p50", (0.5,)), ("p75", (0.75,))]
    assert raw.cost == 5  # Base Model (2) + Prune (2) + sparsity (1), before constants dropped
    assert simplify_table(raw) == raw


def test_sweep_with_base_refuses_the_merge():
    raw = experiment_table(SWEEP, ["base", "p25", "p50", "p75"])
    assert _vars(raw) == [("presence", "Prune"), ("parameter", "sparsity")]
    assert raw.rows == [("base", (False, "None")), ("p25", (True, 0.25)), ("p50", (True, 0.5)),
                        ("p75", (True, 0.75))]
    simple = simplify_table(raw)  # 4 merged values > 2 + 1: refused
    assert _vars(simple) == [("presence", "Prune"), ("parameter", "sparsity")]
    assert not simple.needs_refinement


# --- example 2: sibling operations, a tie that goes to the later candidate -------------------

def test_siblings_tie_goes_to_the_later_candidate():
    raw = experiment_table(SIBLINGS, ["pr", "q"])
    assert _vars(raw) == [("presence", "Quantize int8"), ("presence", "Prune")]
    assert raw.rows == [("q", (True, False)), ("pr", (False, True))]  # q was added first
    assert raw.cost == 6  # B1 and B2 both cost 6; B0 would cost 7


def test_siblings_complementary_merge():
    simple = simplify_table(experiment_table(SIBLINGS, ["pr", "q"]))
    assert [v.kind for v in simple.variables] == ["sequence"]
    assert _col(simple) == {"q": "Quantize int8", "pr": "Prune"}
    assert simple.variables[0].label == "Quantize int8 / Prune"  # the reference leaves it blank
    full = simplify_table(experiment_table(SIBLINGS, ["base", "pr", "q"]))
    assert _col(full) == {"base": "None", "q": "Quantize int8", "pr": "Prune"}


# --- example 3: a chain, a cumulative merge with an ordering -----------------------------------

def test_chain_cumulative_merge():
    raw = experiment_table(CHAIN, ["base", "p", "q", "t"])
    assert _vars(raw) == [("presence", "Prune"), ("presence", "Quantize"), ("presence", "Train")]
    assert [vals for _, vals in raw.rows] == [(False, False, False), (True, False, False),
                                               (True, True, False), (True, True, True)]
    simple = simplify_table(raw)
    assert _vars(simple) == [("sequence", "Prune → Quantize → Train")]
    assert _col(simple) == {"base": "None", "p": "Prune", "q": "Quantize", "t": "Train"}
    assert simple.orderings == {0: ["None", "Prune", "Quantize", "Train"]}
    assert axis_order(simple, 0) == ["None", "Prune", "Quantize", "Train"]  # x follows the sequence


def test_chain_without_base():
    simple = simplify_table(experiment_table(CHAIN, ["p", "q", "t"]))
    assert _col(simple) == {"p": "None", "q": "Quantize", "t": "Train"}
    assert simple.orderings == {0: ["None", "Quantize", "Train"]}


def test_iterative_chain_deduplicates_names():
    models = [_m("b"), _m("p", "b", "Prune", amount=0.5), _m("t", "p", "Train", epochs=1),
              _m("p2", "t", "Prune", amount=0.5), _m("t2", "p2", "Train", epochs=1)]
    raw = experiment_table(models, ["b", "p", "t", "p2", "t2"])
    assert [v.label for v in raw.variables] == ["Prune", "Train", "Prune 2", "Train 2"]
    simple = simplify_table(raw)
    assert simple.orderings[0] == ["None", "Prune", "Train", "Prune 2", "Train 2"]


# --- further checks -------------------------------------------------------------------------

def test_categorical_operation_column_wins():
    models = [_m("base"), _m("a", "base", "Prune", amount=0.5), _m("b", "base", "Prune", amount=0.9),
              _m("c", "base", "Quantize", precision="int8"), _m("d", "base", "Quantize", precision="float16")]
    raw = experiment_table(models, ["a", "b", "c", "d"])
    assert raw.cost == 7 and _vars(raw) == [("operation", "Operation")]
    assert _col(raw) == {"a": "Prune 0.5", "b": "Prune 0.9", "c": "Quantize int8",
                         "d": "Quantize float16"}


def test_two_by_two_grid():
    models = [_m("base"), _m("p5", "base", "Prune", amount=0.5), _m("p75", "base", "Prune", amount=0.75)]
    for p in ("p5", "p75"):
        models += [_m(f"{p}t", p, "Train", epochs=10), _m(f"{p}q", p, "Quantize", precision="int8")]
    raw = experiment_table(models, ["p5t", "p5q", "p75t", "p75q"])
    assert _vars(raw) == [("parameter", "amount"), ("presence", "Quantize"), ("presence", "Train")]
    simple = simplify_table(raw)
    assert [v.kind for v in simple.variables] == ["parameter", "sequence"]
    assert _col(simple, 0) == {"p5t": 0.5, "p5q": 0.5, "p75t": 0.75, "p75q": 0.75}
    assert _col(simple, 1) == {"p5t": "Train", "p5q": "Quantize", "p75t": "Train", "p75q": "Quantize"}


def test_userstudy_paper_screenshot():
    models = load_reference_json("imagenet-userstudy-part1.json")["models"]
    sel = [m["id"] for m in models if "magnitudepruning" in m["id"]
           and m["id"].endswith(("_compressed", "-retrained"))]
    assert len(sel) == 6
    simple = simplify_table(experiment_table(models, sel))
    assert _vars(simple) == [("parameter", "amount"), ("presence", "train 2")]
    by_id = {mid: vals for mid, vals in simple.rows}
    for mid in sel:
        assert by_id[mid] == (float(mid.split("magnitudepruning")[1][:2]) / 100,
                              mid.endswith("-retrained"))
    assert format_value(True) == "true"  # the legend reads false/true


@pytest.mark.parametrize("name", REFERENCE_FILES)
def test_reference_trees_every_sibling_group(name):
    """Each family of siblings (and pairs of families) gives a table; memo equals exhaustive."""
    models = load_reference_json(name)["models"]
    kids: dict = {}
    for m in models:
        kids.setdefault(m.get("base"), []).append(m["id"])
    groups = [g[:16] for g in kids.values() if len(g) > 1]
    groups += [(a + b)[:16] for a, b in zip(groups, groups[1:], strict=False)]
    for sel in groups:
        raw = experiment_table(models, sel)
        assert raw == experiment_table(models, sel, exhaustive=True)
        assert sorted(raw.ids) == sorted(sel)
        simple = simplify_table(raw)
        assert simple.ids == raw.ids
        assert len(simple.variables) <= 2 or raw.needs_refinement


# --- the simplifier's quirks and our fixes ----------------------------------------------------

def test_case_b_lower_case_none_is_shown_as_none():
    # Case B parameters get the reference's lower-case "none" default ("amount none" labels).
    models = [_m("b"), _m("x", "b", "Prune", amount=0.5), _m("y", "b", "Prune", amount=0.9),
              _m("q", "b", "Quantize", precision="int8")]
    raw = experiment_table(models, ["b", "x", "y", "q"])
    assert "none" not in [v for _, vals in raw.rows for v in vals]
    assert "None" in raw.column(next(i for i, v in enumerate(raw.variables) if v.label == "amount"))
    simple = simplify_table(raw)
    assert not any("amount none" in str(v) for _, vals in simple.rows for v in vals)


def test_flatten_keeps_falsy_parameters():
    # > 2 variables, fewer than 6 rows, too many combinations: the page flattens the raw table.
    raw = ComparisonTable(
        [Variable("presence", "Prune"), Variable("parameter", "amount"), Variable("presence", "Train"),
         Variable("parameter", "epochs")],
        [("a", (True, 0, False, "None")), ("b", (True, 0.5, True, 1)), ("c", (False, "None", True, 3))])
    simple = simplify_table(raw)
    assert _vars(simple) == [("sequence", "Operations")]
    assert _col(simple) == {"a": "Prune & amount 0", "b": "Prune & amount 0.5 & Train & epochs 1",
                            "c": "Train & epochs 3"}


def test_flatten_and_the_reference_reading_of_one():
    # The reference flattens these too, but reads k = 1 as just "k" (JavaScript 1 == true).
    raw = ComparisonTable(
        [Variable("parameter", "k"), Variable("presence", "P"), Variable("presence", "Q"),
         Variable("presence", "R")],
        [("a", (1, False, False, False)), ("b", (2, True, False, False)),
         ("c", (1, True, True, False)), ("d", (2, True, True, True))])
    assert _col(simplify_table(raw)) == {"a": "k 1", "b": "k 2 & P", "c": "k 1 & P & Q",
                                         "d": "k 2 & P & Q & R"}


def test_cumulative_merge_beside_a_parameter():
    rows = [(f"{k}{p}{q}{r}", (k, p, q, r)) for k in (1, 2)
            for p, q, r in ((False, False, False), (True, False, False), (True, True, False),
                            (True, True, True))]
    raw = ComparisonTable([Variable("parameter", "k"), Variable("presence", "P"),
                           Variable("presence", "Q"), Variable("presence", "R")], rows)
    simple = simplify_table(raw)  # 8 rows: no flattening
    assert _vars(simple) == [("parameter", "k"), ("sequence", "P → Q → R")]
    assert simple.orderings == {1: ["None", "P", "Q", "R"]}
    assert axis_order(simple, 0) == [1, 2]


def test_orderings_are_reindexed_after_a_merge():
    from backend.comparability.simplify import merge

    table = ComparisonTable(
        [Variable("presence", "A"), Variable("presence", "B"), Variable("parameter", "k"),
         Variable("sequence", "P → Q")],
        [("a", (True, False, 1, "P")), ("b", (False, True, 2, "Q")), ("c", (False, False, 1, "None"))],
        {3: ["None", "P", "Q"]})
    merged, at = merge(table, [0, 1])
    assert at == 0 and [v.kind for v in merged.variables] == ["sequence", "parameter", "sequence"]
    assert merged.orderings == {2: ["None", "P", "Q"]}  # the reference leaves it at 3


def test_js_number_formatting():
    assert [format_value(v) for v in (1.0, 0.5, 1e21, 1e-7, 123456789012.0, False, None)] == \
        ["1", "0.5", "1e+21", "1e-7", "123456789012", "false", "null"]
    models = [_m("b"), _m("x1", "b", "Train", epochs=1.0, lr=0.1), _m("x2", "b", "Train", epochs=2.0, lr=0.1),
              _m("y1", "b", "Quantize", bits=8), _m("y2", "b", "Quantize", bits=4)]
    raw = experiment_table(models, ["x1", "x2", "y1", "y2"])
    assert _vars(raw) == [("operation", "Operation")]
    assert _col(raw) == {"x1": "Train 1, 0.1", "x2": "Train 2, 0.1", "y1": "Quantize 8", "y2": "Quantize 4"}


def test_true_is_not_one():
    models = [_m("b"), _m("x", "b", "Q", flag=True), _m("y", "b", "Q", flag=1)]
    raw = experiment_table(models, ["x", "y"])
    assert _vars(raw) == [("parameter", "flag")] and raw.column(0) == [True, 1]


def test_empty_and_unknown_selection():
    assert experiment_table(SWEEP, []) == ComparisonTable([], [])
    assert experiment_table(SWEEP, ["nope", "p25"]).ids == ["p25"]


# Outputs of the reference (its TypeScript, run under Node) on random forests: raw and simplified
# variable kinds, and the grouping of the selected models by each simplified variable.
REFERENCE_OUTPUTS = [{'models': [['r0', None, 'Train', {'epochs': 30}], ['m0', 'r0', 'Calibrate', {}],
             ['m1', 'm0', 'Quantize', {'precision': 'float16'}], ['m2', 'm0', 'Train', {'epochs': 10}],
             ['m3', 'm1', 'Train', {'epochs': 1}], ['m4', 'm0', 'Calibrate', {}],
             ['m5', 'm4', 'Quantize', {'precision': 'float16'}],
             ['m6', 'r0', 'Train', {'epochs': 10}]],
  'selection': ['m4', 'm2', 'm1', 'm6'],
  'raw_kinds': ['presence', 'operation'],
  'kinds': ['presence', 'operation'],
  'groups': [[['m1', 'm2', 'm4'], ['m6']], [['m1'], ['m2', 'm6'], ['m4']]]},
 {'models': [['r0', None, None, None], ['m0', 'r0', 'Quantize', {'precision': 'float16'}],
             ['m1', 'r0', 'Prune', {'amount': 0.25}], ['m2', 'm0', 'Train', {'epochs': 1}],
             ['m3', 'm2', 'Prune', {'amount': 0.5, 'method': 'grad'}],
             ['m4', 'm1', 'Prune', {'amount': 0.5, 'method': 'grad'}]],
  'selection': ['m0', 'm4', 'm1', 'r0', 'm2', 'm3'],
  'raw_kinds': ['presence', 'presence', 'presence', 'presence'],
  'kinds': ['sequence', 'presence'],
  'groups': [[['m0'], ['m1', 'm4'], ['m2', 'm3'], ['r0']], [['m0', 'm1', 'm2', 'r0'], ['m3', 'm4']]]},
 {'models': [['r0', None, 'Train', {'epochs': 30}],
             ['m0', 'r0', 'Prune', {'amount': 0.75, 'method': 'grad'}],
             ['m1', 'm0', 'Train', {'epochs': 1}],
             ['m2', 'm0', 'Prune', {'amount': 0.75, 'method': 'grad'}],
             ['m3', 'r0', 'Prune', {'amount': 0.9, 'method': 'mag'}],
             ['m4', 'm1', 'Train', {'epochs': 10}]],
  'selection': ['m4', 'r0', 'm3', 'm2', 'm1', 'm0'],
  'raw_kinds': ['presence', 'parameter', 'parameter', 'presence', 'presence', 'presence'],
  'kinds': ['sequence', 'presence', 'presence', 'presence'],
  'groups': [[['m0', 'm1', 'm2', 'm4'], ['m3'], ['r0']], [['m0', 'm1', 'm3', 'm4', 'r0'], ['m2']],
             [['m0', 'm2', 'm3', 'r0'], ['m1', 'm4']], [['m0', 'm1', 'm2', 'm3', 'r0'], ['m4']]]},
 {'models': [['r0', None, 'Train', {'epochs': 90}], ['r1', None, None, None], ['r2', None, None, None],
             ['m0', 'r2', 'Prune', {'amount': 0.25, 'method': 'mag'}],
             ['m1', 'r0', 'Quantize', {'precision': 'float16'}],
             ['m2', 'r0', 'Quantize', {'precision': 'int8'}],
             ['m3', 'r0', 'Quantize', {'precision': 'int8'}],
             ['m4', 'm0', 'Quantize', {'precision': 'float16'}]],
  'selection': ['m3', 'm1', 'm0', 'm2'],
  'raw_kinds': ['presence', 'presence', 'presence', 'presence', 'parameter'],
  'kinds': ['sequence'],
  'groups': [[['m0'], ['m1'], ['m2', 'm3']]]},
 {'models': [['m4', 'm2', 'Train', {'epochs': 10}], ['r0', None, None, None],
             ['m2', 'r1', 'Quantize', {'precision': 'float16'}],
             ['m3', 'm2', 'Prune', {'amount': 0.9, 'method': 'grad'}], ['r1', None, None, None],
             ['m1', 'r0', 'Calibrate', {}], ['m5', 'r1', 'Train', {'epochs': 30}],
             ['m0', 'r0', 'Prune', {'amount': 0.25, 'method': 'mag'}]],
  'selection': ['m5', 'm3', 'r1', 'm4', 'm2', 'm0'],
  'raw_kinds': ['parameter', 'presence', 'operation'],
  'kinds': ['sequence', 'operation'],
  'groups': [[['m0'], ['m2', 'm3', 'm4'], ['m5', 'r1']],
             [['m0'], ['m2', 'r1'], ['m3'], ['m4'], ['m5']]]},
 {'models': [['r0', None, 'Train', {'epochs': 90}], ['r2', None, None, None], ['r1', None, None, None],
             ['m0', 'r2', 'Prune', {'amount': 0.25, 'method': 'mag'}],
             ['m1', 'r0', 'Prune', {'amount': 0.25, 'method': 'mag'}], ['m2', 'm1', 'Calibrate', {}],
             ['m3', 'r1', 'Prune', {'amount': 0.75, 'method': 'grad'}]],
  'selection': ['m1', 'r2', 'm0', 'm2', 'r0', 'm3'],
  'raw_kinds': ['presence', 'parameter', 'presence', 'presence', 'parameter', 'parameter', 'presence'],
  'kinds': ['sequence', 'presence', 'parameter', 'parameter', 'presence'],
  'groups': [[['m0', 'r2'], ['m1', 'm2', 'r0'], ['m3']], [['m0', 'm1', 'm2', 'm3'], ['r0', 'r2']],
             [['m0', 'm1', 'm2'], ['m3'], ['r0', 'r2']], [['m0', 'm1', 'm2'], ['m3'], ['r0', 'r2']],
             [['m0', 'm1', 'm3', 'r0', 'r2'], ['m2']]]},
 {'models': [['r0', None, 'Train', {'epochs': 90}], ['m0', 'r0', 'Quantize', {'precision': 'float16'}],
             ['m1', 'r0', 'Quantize', {'precision': 'int8'}],
             ['m2', 'r0', 'Prune', {'amount': 0.25, 'method': 'mag'}],
             ['m3', 'm2', 'Train', {'epochs': 10}],
             ['m4', 'r0', 'Prune', {'amount': 0.75, 'method': 'mag'}],
             ['m5', 'm4', 'Prune', {'amount': 0.5, 'method': 'grad'}],
             ['m6', 'm3', 'Quantize', {'precision': 'int8'}], ['m7', 'm6', 'Calibrate', {}],
             ['m8', 'm4', 'Quantize', {'precision': 'int8'}]],
  'selection': ['m3', 'm1', 'm0', 'm8', 'm5', 'm7', 'm2'],
  'raw_kinds': ['presence', 'parameter', 'presence', 'presence', 'presence', 'parameter', 'presence'],
  'kinds': ['sequence', 'presence', 'presence', 'parameter', 'presence'],
  'groups': [[['m0', 'm1'], ['m2', 'm3', 'm7'], ['m5'], ['m8']],
             [['m0', 'm1', 'm2', 'm5', 'm8'], ['m3', 'm7']],
             [['m0', 'm1', 'm7', 'm8'], ['m2', 'm3', 'm5']],
             [['m0'], ['m1', 'm7', 'm8'], ['m2', 'm3', 'm5']],
             [['m0', 'm1', 'm2', 'm3', 'm5', 'm8'], ['m7']]]},
 {'models': [['r0', None, None, None], ['m0', 'r0', 'Calibrate', {}],
             ['m1', 'm0', 'Prune', {'amount': 0.5, 'method': 'grad'}],
             ['m2', 'm1', 'Prune', {'amount': 0.75, 'method': 'mag'}],
             ['m3', 'm2', 'Quantize', {'precision': 'int8'}],
             ['m4', 'r0', 'Prune', {'amount': 0.25, 'method': 'mag'}]],
  'selection': ['m0', 'm3', 'r0', 'm1', 'm2', 'm4'],
  'raw_kinds': ['presence', 'presence', 'presence', 'presence', 'presence'],
  'kinds': ['sequence', 'presence', 'presence'],
  'groups': [[['m0'], ['m1', 'm2', 'm3'], ['m4'], ['r0']], [['m0', 'm1', 'm4', 'r0'], ['m2', 'm3']],
             [['m0', 'm1', 'm2', 'm4', 'r0'], ['m3']]]}]


@pytest.mark.parametrize("case", REFERENCE_OUTPUTS)
def test_matches_reference_outputs(case):
    models = [_m(i, b, op, **(params or {})) for i, b, op, params in case["models"]]
    raw = experiment_table(models, case["selection"])
    assert [v.kind for v in raw.variables] == case["raw_kinds"]
    simple = simplify_table(raw)
    assert [v.kind for v in simple.variables] == case["kinds"]
    for i, expected in enumerate(case["groups"]):
        groups: dict = {}
        for mid, vals in simple.rows:
            groups.setdefault(repr(vals[i]), []).append(mid)
        assert sorted(sorted(g) for g in groups.values()) == expected


# --- refinement (spec §1.8) ---------------------------------------------------------------------

def test_refine_filters_and_recomputes():
    raw = experiment_table(SWEEP, ["base", "p25", "p50", "p75"])
    assert refine(SWEEP, raw, {}) is raw
    assert refine(SWEEP, raw, {0: [], 1: []}) is raw
    assert refine(SWEEP, raw, {0: [True, False]}) is raw  # every row passes: unchanged
    only_pruned = refine(SWEEP, raw, {0: [True]})
    assert only_pruned == experiment_table(SWEEP, ["p25", "p50", "p75"])
    both = refine(SWEEP, raw, {0: [True], 1: [0.25, 0.75]})  # AND across, OR within
    assert both.ids == ["p25", "p75"] and _vars(both) == [("parameter", "sparsity")]
    assert refine(SWEEP, raw, {7: [1]}) is raw  # stale index: ignored


def test_refine_uses_javascript_equality():
    models = [_m("b"), _m("x", "b", "Q", flag=True), _m("y", "b", "Q", flag=1), _m("z", "b", "Q", flag=0)]
    raw = experiment_table(models, ["x", "y", "z"])
    assert refine(models, raw, {0: [1]}).ids == ["y"]


# --- bounded search -------------------------------------------------------------------------

def adversarial(levels: int, rotate: bool = False) -> list[dict]:
    """A spine with three differently operated children per level (spec §6's worst case)."""
    models, spine = [_m("root")], "root"
    for lvl in range(levels):
        kids = []
        for k, op in enumerate(("Prune", "Quantize", "Train")):
            models.append(_m(f"L{lvl}{op}", spine, op, x=(lvl + k) % 2))
            kids.append(f"L{lvl}{op}")
        spine = kids[lvl % 3 if rotate else 0]
    return models


@pytest.mark.parametrize("rotate", [False, True])
def test_adversarial_tree_equals_exhaustive(rotate):
    models = adversarial(5, rotate)
    sel = [m["id"] for m in models]
    assert experiment_table(models, sel) == experiment_table(models, sel, exhaustive=True)


def test_deep_adversarial_tree_is_fast():
    models = adversarial(40)
    sel = [m["id"] for m in models]
    t0 = time.perf_counter()
    raw = experiment_table(models, sel)
    assert time.perf_counter() - t0 < 5  # typically ~0.05 s; the exhaustive search never ends
    assert len(raw.rows) == len(models)
