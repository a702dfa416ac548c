"""Behaviors queries against plain numpy: rows, modes, sorts, brushes, pages, class means, CSV."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import scipy.sparse as sp

from backend.behaviors import CORRECTNESS, BehaviorQuery, build_behavior_data, query, rows_csv, wrong_counts
from tests.support.behaviors_data import CLASSES, MODELS, make_data


# --- queries: instance level -----------------------------------------------------------------------
def test_instance_level_absolute_rows_and_paging():
    data, outs, labels = make_data()
    r = query(data, BehaviorQuery("Top prob", level="instance", page_size=25))
    assert (r.total, r.pages, r.page, r.n_instances, r.mode, r.level) == (60, 3, 0, 60, "absolute", "instance")
    comp = data.comparisons["Top prob"]
    row = r.rows[3]
    assert row["index"] == 3 and row["id"] == "103" and row["label"] == labels[3]
    assert row["label_name"] == CLASSES[labels[3]]
    cell = row["cells"]["m1"]
    assert cell["pred"] == outs[1][3].argmax() and cell["pred_name"] == CLASSES[cell["pred"]]
    assert cell["value"] == comp.value[1, 3] == cell["shown"] and cell["difference"] == comp.difference[1, 3]
    last = query(data, BehaviorQuery("Top prob", level="instance", page_size=25, page=99))
    assert last.page == 2 and len(last.rows) == 10 and last.rows[0]["index"] == 50
    exact = query(data, BehaviorQuery("Top prob", level="instance", page_size=20, page=5))
    assert (exact.pages, exact.page, len(exact.rows)) == (3, 2, 20)
    neg = query(data, BehaviorQuery("Top prob", level="instance", page=-3))
    assert neg.page == 0
    json.dumps([r.rows, r.histograms, r.summary, r.domain])  # JSON-ready: no numpy scalars


def test_relative_mode_shows_differences_and_no_value_falls_back():
    data, _, _ = make_data()
    r = query(data, BehaviorQuery("Top prob", mode="relative", level="instance"))
    assert r.mode == "relative"
    assert r.rows[5]["cells"]["m2"]["shown"] == data.comparisons["Top prob"].difference[2, 5]
    kl = query(data, BehaviorQuery("KL", mode="absolute", level="instance"))
    assert kl.mode == "relative" and kl.rows[0]["cells"]["m1"]["value"] is None
    assert "base" not in kl.histograms and set(kl.histograms) == {"m1", "m2"}


def test_sorts_by_value_or_absolute_difference_with_stable_ties():
    data, _, _ = make_data()
    comp = data.comparisons["Top prob"]
    for direction in ("desc", "asc"):
        r = query(data, BehaviorQuery("Top prob", level="instance", sort=("m1", direction), page_size=100))
        got = [row["index"] for row in r.rows]
        key = comp.value[1] if direction == "asc" else -comp.value[1]
        assert got == np.argsort(key, kind="stable").tolist()
        rel = query(data, BehaviorQuery("Top prob", mode="relative", level="instance", sort=("m2", direction),
                                        page_size=100))
        mags = [abs(row["cells"]["m2"]["difference"]) for row in rel.rows]
        assert mags == sorted(mags, reverse=direction == "desc")
    # Correctness differences are mostly ties: instance order breaks them
    r = query(data, BehaviorQuery(CORRECTNESS, mode="relative", level="instance", sort=("m1", "desc"),
                                  page_size=100))
    key = -np.abs(data.comparisons[CORRECTNESS].difference[1])
    assert [row["index"] for row in r.rows] == np.argsort(key, kind="stable").tolist()
    unsorted = query(data, BehaviorQuery("Top prob", level="instance", sort=("nobody", "asc"), page_size=100))
    assert [row["index"] for row in unsorted.rows] == list(range(60))


def test_brushes_are_inclusive_and_combine_with_and():
    data, _, _ = make_data()
    v = data.comparisons["Top prob"].value
    lo1, hi1 = float(np.sort(v[1])[10]), float(np.sort(v[1])[40])
    lo2, hi2 = float(np.sort(v[2])[5]), float(np.sort(v[2])[50])
    q = BehaviorQuery("Top prob", level="instance", page_size=100,
                      brushes={"m1": (lo1, hi1), "m2": (hi2, lo2), "ghost": (5.0, 6.0)})
    r = query(data, q)
    expected = np.flatnonzero((v[1] >= lo1) & (v[1] <= hi1) & (v[2] >= lo2) & (v[2] <= hi2))
    assert [row["index"] for row in r.rows] == expected.tolist() and r.total == r.n_instances == len(expected)
    only_m1 = query(data, BehaviorQuery("Top prob", level="instance", page_size=100, brushes={"m1": (lo1, hi1)}))
    kept = {row["index"] for row in only_m1.rows}
    assert set(np.flatnonzero((v[1] == lo1) | (v[1] == hi1)).tolist()) <= kept and len(kept) == 31  # edges count
    # histograms are never brushed: every candidate instance is in them
    assert all(sum(h["counts"]) == 60 for h in r.histograms.values())
    edges = {tuple(h["edges"]) for h in r.histograms.values()}
    assert len(edges) == 1  # shared by every model
    e = np.array(r.histograms["m1"]["edges"])
    assert e[0] <= v.min() and e[-1] >= v.max()
    assert r.histograms["m1"]["counts"] == np.histogram(v[1], bins=e)[0].tolist()


def test_single_value_brush_keeps_exact_matches():
    data, _, _ = make_data()
    v = data.comparisons["Top prob"].value[1]
    x = float(v[7])
    r = query(data, BehaviorQuery("Top prob", level="instance", brushes={"m1": (x, x)}))
    assert [row["index"] for row in r.rows] == np.flatnonzero(v == x).tolist()


def test_empty_result():
    data, _, _ = make_data()
    r = query(data, BehaviorQuery("Top prob", level="instance", brushes={"m1": (5.0, 6.0)}, page=3))
    assert (r.rows, r.total, r.page, r.pages, r.n_instances) == ([], 0, 0, 1, 0)
    assert r.summary["m1"]["mean_value"] is None and r.summary["m1"]["top"] == []
    c = query(data, BehaviorQuery("Top prob", brushes={"m1": (5.0, 6.0)}))
    assert (c.rows, c.total, c.n_instances) == ([], 0, 0)


def test_class_filter_wrong_by_and_pair():
    data, outs, labels = make_data()
    r = query(data, BehaviorQuery("Top prob", level="instance", class_filter=2, page_size=100))
    assert [row["index"] for row in r.rows] == np.flatnonzero(labels == 2).tolist()
    assert sum(r.histograms["base"]["counts"]) == (labels == 2).sum()
    wrong = (np.array([o.argmax(1) for o in outs]) != labels).sum(axis=0)
    np.testing.assert_array_equal(wrong_counts(data), wrong)
    for k in range(4):
        r = query(data, BehaviorQuery("Top prob", level="instance", wrong_by=k, page_size=100))
        assert [row["index"] for row in r.rows] == np.flatnonzero(wrong == k).tolist()
        assert sum(r.histograms["m1"]["counts"]) == (wrong == k).sum()  # histograms follow wrong_by
    pair = query(data, BehaviorQuery("Top prob", level="instance", pair=("m1", "m2"), page_size=100))
    assert [row["index"] for row in pair.rows] == np.flatnonzero(outs[1].argmax(1) != outs[2].argmax(1)).tolist()
    # class_filter is an instance-level filter only
    cls = query(data, BehaviorQuery("Top prob", level="class", class_filter=2))
    assert cls.total == len(set(labels.tolist()))


# --- queries: class level --------------------------------------------------------------------------
def test_class_means_and_relative_correctness():
    data, outs, labels = make_data(n=200)
    r = query(data, BehaviorQuery("Top prob", level="class"))
    comp = data.comparisons["Top prob"]
    assert [row["name"] for row in r.rows] == sorted(CLASSES)  # unsorted: by class name
    for row in r.rows:
        inside = labels == row["class"]
        assert row["count"] == inside.sum()
        for j, m in enumerate(MODELS):
            assert row["cells"][m]["value"] == pytest.approx(comp.value[j, inside].mean(), rel=1e-12)
            assert row["cells"][m]["difference"] == pytest.approx(comp.difference[j, inside].mean(), abs=1e-12)
    rel = query(data, BehaviorQuery(CORRECTNESS, mode="relative", level="class"))
    correct = (np.array([o.argmax(1) for o in outs]) == labels).astype(float)
    for row in rel.rows:
        inside = labels == row["class"]
        acc = correct[:, inside].mean(axis=1)
        for j, m in enumerate(MODELS):
            want = (acc[j] - acc[0]) / acc[0] if acc[j] != acc[0] else 0.0
            assert row["cells"][m]["difference"] == pytest.approx(want, rel=1e-12)
            assert row["cells"][m]["shown"] == row["cells"][m]["difference"]
            assert row["cells"][m]["value"] == pytest.approx(acc[j])
    # weighted by class size, the class-level mean value is the plain accuracy
    assert rel.summary["m1"]["mean_value"] == pytest.approx(correct[1].mean())
    assert rel.n_instances == 200


def test_relative_over_a_base_of_zero_is_none_not_infinity():
    labels = np.array([0, 0, 1, 1])
    base = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])  # always predicts 1
    model = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    data = build_behavior_data(["b", "m"], {"b": {"probs": base}, "m": {"probs": model}}, labels, ["x", "y"],
                               np.arange(4), [])
    r = query(data, BehaviorQuery(CORRECTNESS, mode="relative"))
    cells = {row["name"]: row["cells"]["m"] for row in r.rows}
    assert cells["x"]["difference"] is None and cells["x"]["value"] == 0.5  # base accuracy 0 on class x
    assert cells["y"]["difference"] == 0.0
    json.dumps(r.rows)


def test_multi_class_membership_counts_in_every_class():
    n = 6
    members = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 1, 0],
                                      [0, 0, 1, 0], [1, 0, 0, 0]]))
    data, _, _ = make_data(n=n, members=members)
    comp = data.comparisons["Top prob"]
    dense = members.toarray().astype(bool)
    r = query(data, BehaviorQuery("Top prob", level="class"))
    by_class = {row["class"]: row for row in r.rows}
    assert set(by_class) == {0, 1, 2}  # class 3 has no instances: no row
    for c, row in by_class.items():
        assert row["count"] == dense[:, c].sum()
        assert row["cells"]["m2"]["value"] == pytest.approx(comp.value[2, dense[:, c]].mean())
    assert r.n_instances == dense.sum() == 8  # an instance in two classes counts twice
    weighted = sum(row["count"] * row["cells"]["m1"]["value"] for row in r.rows) / 8
    assert r.summary["m1"]["mean_value"] == pytest.approx(weighted)
    inst = query(data, BehaviorQuery("Top prob", level="instance", class_filter=1))
    assert [row["index"] for row in inst.rows] == [0, 2, 3]


def test_class_sort_and_brush_on_class_means():
    data, _, _ = make_data(n=300)
    base = query(data, BehaviorQuery("Top prob", level="class"))
    means = {row["name"]: row["cells"]["m1"]["value"] for row in base.rows}
    desc = query(data, BehaviorQuery("Top prob", level="class", sort=("m1", "desc")))
    assert [row["name"] for row in desc.rows] == sorted(means, key=lambda k: -means[k])
    lo, hi = sorted(means.values())[1], sorted(means.values())[2]
    brushed = query(data, BehaviorQuery("Top prob", level="class", brushes={"m1": (lo, hi)}))
    assert {row["name"] for row in brushed.rows} == {k for k, v in means.items() if lo <= v <= hi}
    assert brushed.n_instances == sum(row["count"] for row in brushed.rows)
    assert sum(brushed.histograms["m1"]["counts"]) == len(CLASSES)  # histogram of class rows, not brushed


def test_class_sort_ties_fall_back_to_class_name():
    labels = np.array([0, 1, 2, 3])
    p = np.eye(4)[[0, 1, 2, 3]]
    data = build_behavior_data(["b", "m"], {"b": {"probs": p}, "m": {"probs": p}}, labels,
                               ["dd", "bb", "aa", "cc"], np.arange(4), [])
    r = query(data, BehaviorQuery(CORRECTNESS, sort=("m", "desc")))
    assert [row["name"] for row in r.rows] == ["aa", "bb", "cc", "dd"]


# --- header: summary, domain --------------------------------------------------------------------------
def test_summary_top_predictions_and_changes():
    data, outs, labels = make_data(n=120)
    pred = np.array([o.argmax(1) for o in outs])
    r = query(data, BehaviorQuery("Top prob", level="instance"))
    counts = np.bincount(pred[1], minlength=4)
    top = r.summary["m1"]["top"]
    assert [t["model"] for t in top] == [CLASSES[c] for c in np.lexsort((np.arange(4), -counts)) if counts[c]]
    assert top[0]["rate"] == pytest.approx(counts.max() / 120)
    assert r.summary["m1"]["mean_value"] == pytest.approx(data.comparisons["Top prob"].value[1].mean())
    rel = query(data, BehaviorQuery("Top prob", mode="relative", level="instance"))
    assert rel.summary["base"]["top"] == []
    changes = rel.summary["m2"]["top"]
    differ = pred[0] != pred[2]
    pairs: dict = {}
    for b, m in zip(pred[0][differ], pred[2][differ], strict=True):
        pairs[(CLASSES[b], CLASSES[m])] = pairs.get((CLASSES[b], CLASSES[m]), 0) + 1
    assert len(changes) == min(5, len(pairs))
    for t in changes:
        assert t["base"] != t["model"] and t["rate"] == pytest.approx(pairs[(t["base"], t["model"])] / 120)
    assert [t["rate"] for t in changes] == sorted((t["rate"] for t in changes), reverse=True)
    assert rel.summary["m2"]["mean_shown"] == pytest.approx(data.comparisons["Top prob"].difference[2].mean())


def test_domain_is_symmetric_when_negative():
    data, _, _ = make_data()
    rel = query(data, BehaviorQuery("Top prob", mode="relative", level="instance"))
    d = data.comparisons["Top prob"].difference
    assert rel.diverging and rel.domain == (-np.abs(d).max(), np.abs(d).max())
    ab = query(data, BehaviorQuery("Top prob", level="instance"))
    v = data.comparisons["Top prob"].value
    assert not ab.diverging and ab.domain == (v.min(), v.max())


# --- CSV ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["instance", "class"])
def test_csv_has_every_filtered_row(level):
    data, _, _ = make_data(n=130)
    q = BehaviorQuery("Top prob", level=level, page_size=10, sort=("m1", "asc"), wrong_by=1)
    r = query(data, q)
    rows = list(csv.reader(io.StringIO(rows_csv(data, q))))
    assert len(rows) - 1 == r.total
    head = rows[0]
    if level == "instance":
        assert head[:4] == ["index", "id", "label", "label_name"] and "m1 pred_name" in head
        assert [int(x[0]) for x in rows[1:11]] == [row["index"] for row in r.rows]
    else:
        assert head[:3] == ["class", "name", "count"] and "m2 shown" in head
    assert len(head) == len(rows[1])


def test_csv_leaves_missing_values_empty():
    data, _, _ = make_data()
    rows = list(csv.DictReader(io.StringIO(rows_csv(data, BehaviorQuery("KL", level="instance")))))
    assert rows[0]["m1 value"] == "" and float(rows[0]["m1 difference"]) >= 0
