"""The Overview's reducers: what one click, brush or edit does to the page's state."""

from __future__ import annotations

import json

import pytest

from backend.experiment.loader import load_experiment
from backend.overview import actions
from backend.overview.collapse import auto_collapse, visible
from tests.support.forests import synthetic_models_doc


@pytest.fixture(scope="module")
def forest(tmp_path_factory):
    path = tmp_path_factory.mktemp("forest") / "forest.yaml"
    path.write_text(
        "name: t\nmetrics: [{name: acc, min: 0, max: 1}, {name: size}, {name: lat}]\nmodels:\n"
        "  - {id: root, metrics: {acc: 0.9, size: 4}}\n"
        "  - {id: a, base: root, metrics: {acc: 0.8, size: 2}}\n"
        "  - {id: b, base: root, metrics: {acc: 0.7, size: 1}}\n"
        "  - {id: c, base: a, metrics: {acc: 0.5, size: 0.5}}\n")
    return load_experiment(path).forest


def test_selection_from_map_scatter_and_expansion(forest):
    nodes = [{"id": "b"}, {"id": "__col__0"}, {"id": "a"}, {"id": "ghost"}]
    assert actions.next_selection(forest, actions.MAP, ["a", "root"], nodes) == ["a", "b"]  # order kept
    scatter = {"points": [{"customdata": "c"}, {"customdata": "c"}, {"customdata": "nope"}, {}]}
    assert actions.next_selection(forest, actions.SCATTER, ["a"], scatter) == ["c"]
    assert actions.next_selection(forest, actions.SCATTER, ["a"], None) == []
    assert set(actions.next_selection(forest, actions.EXPAND, ["c"], "ancestors")) == {"c", "a", "root"}
    assert actions.next_selection(forest, "other", ["a"], None) == ["a"]


def test_kept_selection():
    assert actions.kept_selection(["a", "b", "c"], ["c", "a"]) == ["a", "c"]
    assert actions.kept_selection(["a"], None) == ["a"]


def test_collapse_expand_all_and_reveal(forest, tmp_path):
    assert actions.next_collapsed(forest, ["b"], ["a", "c", "root"], actions.COLLAPSE) == ["b", "a", "root"]
    assert actions.next_collapsed(forest, ["a"], [], actions.EXPAND_ALL) == []
    path = tmp_path / "big.json"
    path.write_text(json.dumps(synthetic_models_doc(600)))
    big = load_experiment(path).forest
    collapsed = auto_collapse(big, 100)
    deep = max(big.ids, key=big.depth)
    assert deep not in visible(big, collapsed)[0]
    opened = actions.next_collapsed(big, collapsed, [], actions.REVEAL, deep)
    assert deep in visible(big, opened)[0]


def test_filter_rows(forest):
    rows = [{"metric": "acc", "lo": None, "hi": None}]
    added = actions.next_rows(forest, rows, actions.ADD)
    assert added == rows + [{"metric": "size", "lo": None, "hi": None}]
    brushed = actions.next_rows(forest, added, actions.BRUSH, 1, {"range": {"x": [3, -1]}})
    assert brushed[1] == {"metric": "size", "lo": 0.5, "hi": 3.0}  # cut to the data's extent
    assert actions.next_rows(forest, brushed, actions.BRUSH, 0, {"range": {"x": [0.2, 1.7]}})[0] == {
        "metric": "acc", "lo": 0.2, "hi": 1}  # cut to the spec's max
    assert actions.next_rows(forest, brushed, actions.UNBRUSH, 1)[1]["lo"] is None
    assert actions.next_rows(forest, brushed, actions.CLEAR) == [{**r, "lo": None, "hi": None} for r in brushed]
    assert actions.next_rows(forest, brushed, actions.REMOVE, 0) == brushed[1:]
    assert actions.next_rows(forest, brushed, actions.METRIC, 1, "lat")[1] == {"metric": "lat", "lo": None,
                                                                                "hi": None}
    assert actions.next_rows(forest, brushed, actions.METRIC, 1, "size") == brushed  # same metric: kept
    assert actions.next_rows(forest, brushed, actions.REMOVE, 7) == brushed  # a stale index: nothing
    full = actions.next_rows(forest, actions.next_rows(forest, added, actions.ADD), actions.ADD)
    assert len(full) == 3  # every metric has a row: Add does nothing more


def test_budgets(forest):
    names = ["acc", "size"]
    one = actions.next_budgets([], actions.ADD, names)
    assert one == [{"metric": "acc", "op": "<=", "value": None}]
    two = actions.next_budgets(one, actions.ADD, names)
    assert two[1]["metric"] == "size"
    assert actions.next_budgets(two, actions.ADD, names)[2]["metric"] == "acc"  # all used: the first again
    edited = actions.next_budgets(two, actions.EDIT, names, 1, "value", 3)
    assert edited[1] == {"metric": "size", "op": "<=", "value": 3} and two[1]["value"] is None
    assert actions.next_budgets(edited, actions.REMOVE, names, 0) == edited[1:]
    assert actions.next_budgets(edited, actions.EDIT, names, 9, "value", 1) == edited


def test_pareto_edits():
    pareto = {"a": "acc", "b": "size", "max_a": True, "max_b": False, "show": False}
    assert actions.next_pareto(pareto, "flags", ["show", "max_b"]) == {**pareto, "max_a": False, "max_b": True,
                                                                       "show": True}
    assert actions.next_pareto(pareto, "a", "lat")["a"] == "lat"
    assert actions.next_pareto(pareto, "a", None) == pareto  # a cleared dropdown changes nothing


def test_clicked_bar(forest):
    events = [{"value": None}, {"value": {"points": [{"customdata": "ghost"}]}},
              {"value": {"points": [{"customdata": "b"}]}}]
    assert actions.clicked_model(forest, events) == "b"
    assert actions.clicked_model(forest, events[:2]) is None
