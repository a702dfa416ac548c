"""Filters, budgets and Pareto fronts checked against brute force (the URL form: test_viewstate_overview)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.experiment.loader import load_experiment
from backend.overview.filters import (
    Budget,
    RangeFilter,
    constraints,
    mask_of,
    passing_ids,
    passing_mask,
    within_domain,
)
from backend.overview.pareto import (
    Objectives,
    budget_steps,
    directions,
    front_ids,
    pareto_front,
    relaxation,
    relaxations,
)
from tests.conftest import reference_tree


@pytest.fixture(scope="module")
def study():
    return load_experiment(reference_tree("imagenet-userstudy-part1.json")).forest


def test_filters_inclusive_and_missing_fails(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("name: t\nmetrics: [{name: a}, {name: b}]\n"
                    "models: [{id: x, metrics: {a: 1, b: 5}}, {id: y, metrics: {a: 2}}, {id: z, metrics: {a: 3, b: 7}}]\n")
    forest = load_experiment(path).forest
    assert passing_ids(forest, []) is None
    assert passing_ids(forest, [RangeFilter("a", 1, 2)]) == ["x", "y"]  # both ends inclusive
    assert passing_ids(forest, [RangeFilter("b", -math.inf, math.inf)]) == ["x", "z"]  # y lacks b


def test_budget_as_filter():
    assert Budget("Model Size", "<=", 8e6).as_filter() == RangeFilter("Model Size", -math.inf, 8e6)
    assert Budget("Top-1 Accuracy", ">=", 0.7).as_filter() == RangeFilter("Top-1 Accuracy", 0.7, math.inf)


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


def test_front_ids_among_the_passing_models(study):
    size, acc = study.column("Model Size"), study.column("Top-1 Accuracy")
    objectives = Objectives("Model Size", "Top-1 Accuracy", False, True)
    expected = [study.ids[i] for i in pareto_front(size, acc, False, True)]
    assert front_ids(study, objectives, None) == expected
    assert front_ids(study, None, None) == []  # the front is hidden
    passing = [i for i in study.ids if i not in expected[:1]]
    kept = front_ids(study, objectives, passing)
    assert expected[0] not in kept and set(expected[1:]) <= set(kept)
    assert front_ids(study, objectives, []) == []


def test_relaxations_use_the_other_objective_and_only_the_brushes(study):
    budget = Budget("Model Size", "<=", 3e7)
    brush = RangeFilter("Top-1 Accuracy", 0, 0.75)
    (got, objective, rows), = relaxations(study, "Model Size", "Top-1 Accuracy", [budget], [brush])
    assert got == budget and objective == "Top-1 Accuracy"
    assert rows == relaxation(study, "Top-1 Accuracy", budget, allowed=passing_mask(study, [brush]))
    on_b = Budget("Top-1 Accuracy", ">=", 0.7)
    assert relaxations(study, "Latency", "Top-1 Accuracy", [on_b])[0][1] == "Latency"
    assert relaxations(study, None, "Top-1 Accuracy", [on_b]) == []


def test_constraints_masks_and_domain(study):
    both = constraints([RangeFilter("Latency", 0, 5)], [Budget("Model Size", "<=", 3e7)])
    assert both == [RangeFilter("Latency", 0, 5), RangeFilter("Model Size", -math.inf, 3e7)]
    ids = passing_ids(study, both)
    assert mask_of(study, ids).tolist() == passing_mask(study, both).tolist()
    assert mask_of(study, None) is None
    size = study.column("Model Size")
    assert study.metric("Model Size").min == 0 and study.metric("Model Size").max is None
    assert within_domain(study, "Model Size", -math.inf, math.inf) == (0, size.max())  # spec min, data max
    assert within_domain(study, "Model Size", 1e7, 2e7) == (1e7, 2e7)
