"""Filters, budgets and Pareto fronts checked against brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.experiment.loader import load_experiment
from backend.overview.filters import Budget, RangeFilter, parse_budgets, parse_filters, passing_ids
from backend.overview.pareto import budget_steps, directions, pareto_front, relaxation
from tests.conftest import REFERENCE_TREES


@pytest.fixture(scope="module")
def study():
    return load_experiment(REFERENCE_TREES / "imagenet-userstudy-part1.json").forest


def test_filter_url_round_trip_and_notices():
    f = RangeFilter("Top-1 Accuracy: val;x", 0.5, math.inf)
    inverted = RangeFilter(f.metric, 2, 1).encode()
    parsed, problems = parse_filters(f.encode() + ";Nope:0:1;bad;" + inverted, {"Top-1 Accuracy: val;x"})
    assert parsed == [f]
    assert problems == ["filter on unknown metric 'Nope'", "filter 'bad' is not metric:low:high",
                        "filter 'Top-1 Accuracy: val;x': low bound must not exceed the high bound"]


def test_filters_inclusive_and_missing_fails(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("name: t\nmetrics: [{name: a}, {name: b}]\n"
                    "models: [{id: x, metrics: {a: 1, b: 5}}, {id: y, metrics: {a: 2}}, {id: z, metrics: {a: 3, b: 7}}]\n")
    forest = load_experiment(path).forest
    assert passing_ids(forest, []) is None
    assert passing_ids(forest, [RangeFilter("a", 1, 2)]) == ["x", "y"]  # both ends inclusive
    assert passing_ids(forest, [RangeFilter("b", -math.inf, math.inf)]) == ["x", "z"]  # y lacks b


def test_budget_parsing():
    budgets, problems = parse_budgets("Model Size<=8e6;Latency ≤ 20;Top-1 Accuracy>=0.7;junk;X<=1",
                                      {"Model Size", "Latency", "Top-1 Accuracy"})
    assert budgets == [Budget("Model Size", "<=", 8e6), Budget("Latency", "<=", 20.0),
                       Budget("Top-1 Accuracy", ">=", 0.7)]
    assert problems == ["budget 'junk' is not like 'Model Size<=8e6'", "budget on unknown metric 'X'"]
    assert budgets[0].as_filter() == RangeFilter("Model Size", -math.inf, 8e6)


def _brute_front(a, b, max_a, max_b):
    pts = [(i, a[i] if max_a else -a[i], b[i] if max_b else -b[i]) for i in range(len(a))
           if np.isfinite(a[i]) and np.isfinite(b[i])]
    front = []
    for i, x, y in pts:
        if not any((x2 >= x and y2 >= y and (x2 > x or y2 > y)) for _, x2, y2 in pts):
            front.append(i)
    return sorted(front)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 1.0, 2.0, 3.0, np.nan]), st.integers(0, 4)), max_size=30),
       st.booleans(), st.booleans())
def test_pareto_front_equals_brute_force(points, max_a, max_b):
    a = np.array([p[0] for p in points], dtype=float)
    b = np.array([p[1] for p in points], dtype=float)
    assert sorted(pareto_front(a, b, max_a, max_b).tolist()) == _brute_front(a, b, max_a, max_b)


def test_pareto_on_user_study(study):
    max_x, max_y = directions(study, "Model Size", "Top-1 Accuracy")
    assert (max_x, max_y) == (False, True)
    size = np.array([m.metrics["Model Size"] for m in study])
    acc = np.array([m.metrics["Top-1 Accuracy"] for m in study])
    front = pareto_front(size, acc, max_x, max_y)
    assert sorted(front.tolist()) == _brute_front(size, acc, False, True)
    assert study.ids.index("resnet50trained") in front.tolist() or acc.argmax() in front.tolist()


def test_relaxation_readout(study):
    size = np.array([m.metrics["Model Size"] for m in study])
    budget = Budget("Model Size", "<=", float(np.percentile(size, 20)))
    rows = relaxation(study, "Top-1 Accuracy", budget, steps=4)
    assert [r["limit"] for r in rows] == pytest.approx(budget_steps(size, budget, 4))
    values = [r["value"] for r in rows if r["value"] is not None]
    assert values == sorted(values)  # a looser budget never makes the best model worse
    for r in rows:
        inside = [m for m in study if m.metrics["Model Size"] <= r["limit"]]
        assert r["count"] == len(inside)
        assert r["value"] == max(m.metrics["Top-1 Accuracy"] for m in inside)


def test_pareto_url_round_trip(study):
    from backend.overview.pareto import encode_pareto, parse_pareto

    enc = {"x": "Latency", "y": "Top-1 Accuracy"}
    default = parse_pareto(None, study, enc)
    assert default == {"a": "Latency", "b": "Top-1 Accuracy", "max_a": False, "max_b": True, "show": False}
    assert encode_pareto(default) is None
    shown = {**default, "show": True, "max_a": True}
    text = encode_pareto(shown)
    assert text == "Latency:max,Top-1 Accuracy:max"
    assert parse_pareto(text, study, enc) == shown
    assert parse_pareto("Latency", study, enc) is None and parse_pareto("Nope,Latency", study, enc) is None
    assert parse_pareto("Model Size,Top-1 Accuracy", study, enc) == {
        "a": "Model Size", "b": "Top-1 Accuracy", "max_a": False, "max_b": True, "show": True}
