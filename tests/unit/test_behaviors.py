"""Behaviors maths against plain float64 numpy: comparisons, class means, brushes, sorts, pages."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

import backend.behavior_compare as bh
from backend.behaviors import (
    CORRECTNESS,
    BehaviorQuery,
    accuracy_delta_ci,
    attribution_by_operation,
    build_behavior_data,
    comparison_vectors,
    flip_attribution,
    flip_matrix,
    mcnemar_p,
    model_summary,
    operation_label,
    query,
    rows_csv,
    significance,
    wrong_counts,
)
from backend.forest import Operation
from backend.inference.protocol import COMPARISON_KINDS, ComparisonSpec

EPS = 1e-6
MODELS = ("base", "m1", "m2")
CLASSES = ("cat", "dog", "emu", "ant")


def reference(kind: str, outputs) -> tuple[np.ndarray, np.ndarray | None]:
    """Spec §2.4's table, written the obvious way in float64 numpy."""
    b = np.asarray(outputs[0], dtype=np.float64).reshape(len(outputs[0]), -1)
    diffs, values = [], []
    for o in outputs:
        m = np.asarray(o, dtype=np.float64).reshape(len(o), -1)
        at = m[np.arange(len(m)), b.argmax(axis=1)]
        top = b.max(axis=1)
        d, v = {
            "difference": (np.mean(m - b, axis=1), np.mean(m, axis=1)),
            "abs_difference": (np.abs(np.mean(m - b, axis=1)), np.mean(m, axis=1)),
            "difference_argmax": (at - top, at),
            "abs_difference_argmax": (np.abs(at - top), at),
            "ratio": (np.mean(m / (b + EPS), axis=1), np.mean(m, axis=1)),
            "ratio_argmax": (at / (top + EPS), at),
            "mse": (np.mean((m - b) ** 2, axis=1), None),
            "kl_divergence": (np.maximum((b * np.log2((b + EPS) / (m + EPS))).sum(axis=1), 0), None),
        }[kind]
        diffs.append(d)
        values.append(v)
    return np.array(diffs), None if values[0] is None else np.array(values)


def probs(rng: np.random.Generator, n: int, c: int, k: int, dtype=np.float32) -> list[np.ndarray]:
    return [rng.dirichlet(np.ones(c) * 0.7, size=n).astype(dtype) for _ in range(k)]


def make_data(n: int = 60, seed: int = 0, members=None, specs=None):
    rng = np.random.default_rng(seed)
    outs = probs(rng, n, len(CLASSES), len(MODELS))
    labels = rng.integers(0, len(CLASSES), size=n)
    specs = specs if specs is not None else [ComparisonSpec("Top prob", "difference_argmax", "probs"),
                                             ComparisonSpec("KL", "kl_divergence", "probs"),
                                             ComparisonSpec("MSE", "mse", "probs")]
    outputs = {m: {"logits": np.log(o), "probs": o} for m, o in zip(MODELS, outs, strict=True)}
    data = build_behavior_data(MODELS, outputs, labels, CLASSES, np.arange(100, 100 + n), specs, members=members)
    return data, outs, labels


# --- comparison kinds ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", COMPARISON_KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_kind_matches_numpy_float64(kind, dtype):
    outs = probs(np.random.default_rng(1), 257, 7, 4, dtype)
    diff, value = comparison_vectors(kind, outs)
    ref_d, ref_v = reference(kind, outs)
    assert diff.dtype == np.float64 and diff.shape == (4, 257)
    np.testing.assert_allclose(diff, ref_d, rtol=1e-9, atol=1e-13)
    if ref_v is None:
        assert value is None
    else:
        np.testing.assert_allclose(value, ref_v, rtol=1e-12, atol=0)


@pytest.mark.parametrize("kind", COMPARISON_KINDS)
def test_one_d_and_three_d_outputs(kind):
    rng = np.random.default_rng(2)
    one_d = [rng.random(50) for _ in range(3)]
    three_d = [rng.random((50, 3, 4)).astype(np.float32) for _ in range(3)]
    for outs in (one_d, three_d):
        diff, value = comparison_vectors(kind, outs)
        ref_d, ref_v = reference(kind, outs)
        np.testing.assert_allclose(diff, ref_d, rtol=1e-9, atol=1e-13)
        if ref_v is not None:
            np.testing.assert_allclose(value, ref_v, rtol=1e-12)


def test_one_d_difference_is_plain_subtraction():
    diff, value = comparison_vectors("difference", [np.array([1.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0])])
    assert diff.tolist() == [[0, 0, 0], [-1, 0, 0]] and value.tolist() == [[1, 0, 1], [0, 0, 1]]


def test_base_row_is_exactly_zero():
    outs = probs(np.random.default_rng(3), 80, 5, 3)
    for kind in COMPARISON_KINDS:
        diff, _ = comparison_vectors(kind, outs)
        if kind.startswith("ratio"):  # b / (b + ε): about 1, less for tiny probabilities
            assert np.all((diff[0] > 0.99) & (diff[0] <= 1.0))
        else:
            assert np.all(diff[0] == 0.0), kind


def test_kl_between_near_identical_models_keeps_precision():
    rng = np.random.default_rng(4)
    b = rng.dirichlet(np.ones(1000), size=64)
    m = b * (1 + 1e-4 * rng.standard_normal(b.shape))
    m /= m.sum(axis=1, keepdims=True)
    diff, _ = comparison_vectors("kl_divergence", [b, m])
    ref_d, _ = reference("kl_divergence", [b, m])
    assert ref_d[1].max() < 1e-6  # tiny divergences: float32 arithmetic would be 1e-2 off here
    np.testing.assert_allclose(diff, ref_d, rtol=1e-6, atol=1e-15)


def test_block_boundaries_do_not_change_results(monkeypatch):
    outs = probs(np.random.default_rng(5), 101, 6, 3)
    whole = {k: comparison_vectors(k, outs) for k in COMPARISON_KINDS}
    monkeypatch.setattr(bh, "CHUNK_ELEMENTS", 6 * 7)  # 7 rows per block, 101 = 14 * 7 + 3
    for kind in COMPARISON_KINDS:
        d, v = comparison_vectors(kind, outs)
        np.testing.assert_array_equal(d, whole[kind][0])


def test_parallel_blocks_match_and_restore_torch_threads(monkeypatch):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(2, before))  # at least two block workers
    try:
        outs = probs(np.random.default_rng(11), 999, 9, 5)
        monkeypatch.setattr(bh, "CHUNK_ELEMENTS", 9 * 10)  # 100 blocks
        seen = []
        reduced = bh._reduce(outs, frozenset({"kl", "sum_sq", "argmax", "at_bmax"}),
                             progress=lambda d, t, m: seen.append(d))
        assert torch.get_num_threads() == max(2, before)
    finally:
        torch.set_num_threads(before)
    np.testing.assert_allclose(reduced["kl"], reference("kl_divergence", outs)[0], rtol=1e-9, atol=1e-13)
    np.testing.assert_array_equal(reduced["argmax"], np.array([o.argmax(axis=1) for o in outs]))
    assert seen == sorted(seen) and seen[-1] == 999 and len(seen) == 100


def test_memory_mapped_read_only_inputs(tmp_path):
    outs = probs(np.random.default_rng(6), 40, 5, 2)
    maps = []
    for i, o in enumerate(outs):
        np.save(tmp_path / f"{i}.npy", o)
        maps.append(np.load(tmp_path / f"{i}.npy", mmap_mode="r"))
    d, v = comparison_vectors("difference_argmax", maps)
    ref_d, ref_v = reference("difference_argmax", outs)
    np.testing.assert_allclose(d, ref_d)
    assert not maps[1].flags.writeable


def test_unknown_kind_and_shape_mismatch():
    with pytest.raises(ValueError, match="unknown comparison kind 'nope'"):
        comparison_vectors("nope", [np.zeros((2, 2))])
    with pytest.raises(ValueError, match=r"output 1 has shape \(2, 3\)"):
        comparison_vectors("mse", [np.zeros((2, 2)), np.zeros((2, 3))])


# --- building --------------------------------------------------------------------------------------
def test_build_matches_reference_and_puts_correctness_first():
    data, outs, labels = make_data()
    assert list(data.comparisons) == [CORRECTNESS, "Top prob", "KL", "MSE"]
    assert data.base == "base" and data.n == 60 and data.models == MODELS
    pred = np.array([o.argmax(axis=1) for o in outs])
    np.testing.assert_array_equal(data.predicted, pred)
    correct = (pred == labels).astype(float)
    corr = data.comparisons[CORRECTNESS]
    assert corr.kind == "difference" and corr.options == {"relative": True, "format": ".1%"} and corr.has_value
    np.testing.assert_array_equal(corr.value, correct)
    np.testing.assert_array_equal(corr.difference, correct - correct[0])
    np.testing.assert_array_equal(data.correct(), pred == labels)
    for name, kind in (("Top prob", "difference_argmax"), ("KL", "kl_divergence"), ("MSE", "mse")):
        ref_d, ref_v = reference(kind, outs)
        np.testing.assert_allclose(data.comparisons[name].difference, ref_d, rtol=1e-9, atol=1e-13)
        assert (data.comparisons[name].value is None) == (ref_v is None)
    assert not data.comparisons["KL"].has_value
    with pytest.raises(ValueError):
        data.comparisons["KL"].difference[0, 0] = 1.0  # shared between requests: read-only


def test_predictions_from_probs_else_first_two_d_output():
    rng = np.random.default_rng(7)
    a, b = rng.random((10, 3)), rng.random((10, 3))
    outs = {m: {"score": np.zeros(10), "logits": a if m == "x" else b, "probs": b if m == "x" else a}
            for m in ("x", "y")}
    data = build_behavior_data(["x", "y"], outs, np.zeros(10, int), ["a", "b", "c"], np.arange(10), [])
    np.testing.assert_array_equal(data.predicted, [b.argmax(1), a.argmax(1)])
    for o in outs.values():
        del o["probs"]
    data = build_behavior_data(["x", "y"], outs, np.zeros(10, int), ["a", "b", "c"], np.arange(10), [])
    np.testing.assert_array_equal(data.predicted, [a.argmax(1), b.argmax(1)])


def test_build_errors_name_the_model_and_output():
    rng = np.random.default_rng(8)
    good = {"probs": rng.random((5, 3))}
    spec = [ComparisonSpec("S", "mse", "scores")]
    with pytest.raises(ValueError, match="model 'a' has no output 'scores'"):
        build_behavior_data(["a", "b"], {"a": good, "b": good}, np.zeros(5, int), "abc", np.arange(5), spec)
    outs = {"a": {**good, "scores": np.zeros((5, 2))}, "b": {**good, "scores": np.zeros((5, 4))}}
    with pytest.raises(ValueError, match=r"model 'b': output 'scores' has shape \(5, 4\), the base 'a' has \(5, 2\)"):
        build_behavior_data(["a", "b"], outs, np.zeros(5, int), "abc", np.arange(5), spec)
    with pytest.raises(ValueError, match="no outputs for model 'b'"):
        build_behavior_data(["a", "b"], {"a": good}, np.zeros(5, int), "abc", np.arange(5), [])
    with pytest.raises(ValueError, match="expected 4 rows"):
        build_behavior_data(["a"], {"a": good}, np.zeros(4, int), "abc", np.arange(4), [])


def test_inspector_comparison_named_correctness_is_skipped():
    data, _, _ = make_data(specs=[ComparisonSpec(CORRECTNESS, "mse", "probs"),
                                  ComparisonSpec("A", "mse", "probs"), ComparisonSpec("A", "ratio", "probs")])
    assert list(data.comparisons) == [CORRECTNESS, "A"]
    assert data.comparisons[CORRECTNESS].kind == "difference" and data.comparisons["A"].kind == "mse"


def test_progress_reports_reach_the_end():
    rng = np.random.default_rng(9)
    seen = []
    outs = {m: {"probs": o} for m, o in zip("ab", probs(rng, 30, 3, 2), strict=True)}
    build_behavior_data("ab", outs, np.zeros(30, int), "xyz", np.arange(30),
                        [ComparisonSpec("M", "mse", "probs")], progress=lambda d, t, m: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1] and [d for d, _ in seen] == sorted(d for d, _ in seen)


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


# --- flips, attribution, significance -----------------------------------------------------------------
def test_flip_matrix_symmetric_zero_diagonal_and_masked():
    data, outs, _ = make_data()
    pred = np.array([o.argmax(1) for o in outs])
    f = flip_matrix(data)
    assert np.array_equal(f, f.T) and np.all(np.diag(f) == 0)
    assert f[0, 2] == pytest.approx((pred[0] != pred[2]).mean())
    mask = np.arange(60) < 20
    fm = flip_matrix(data, mask)
    assert fm[1, 2] == pytest.approx((pred[1, :20] != pred[2, :20]).mean())
    assert np.all(flip_matrix(data, np.zeros(60, bool)) == 0)


def test_flip_attribution_on_a_three_step_path():
    labels = np.array([0, 0, 0, 0, 0, 1])
    root = np.array([0, 0, 0, 0, 1, 1])    # instances 0-3 and 5 right, 4 wrong
    step1 = np.array([2, 0, 0, 0, 1, 1])   # 0 breaks
    step2 = np.array([2, 3, 0, 0, 0, 1])   # 1 breaks, 4 is fixed
    end = np.array([0, 3, 4, 0, 0, 2])     # 0 recovers, 2 and 5 break
    rows = flip_attribution(["r", "a", "b", "c"], ["prune (amount=0.5)", "quantize (bits=8)", "prune (amount=0.5)"],
                            [root, step1, step2, end], labels)
    # new errors (right at the root, wrong at the end): 1, 2 and 5; 0 recovered by the end
    assert [r["new_errors"] for r in rows] == [0, 1, 2]
    assert [r["share"] for r in rows] == [0, pytest.approx(1 / 3), pytest.approx(2 / 3)]
    assert [r["flips"] for r in rows] == [1, 2, 3]
    assert [r["broke"] for r in rows] == [1, 1, 2] and [r["fixed"] for r in rows] == [0, 1, 1]
    assert rows[1] == {"step": 1, "from": "a", "to": "b", "operation": "quantize (bits=8)", "new_errors": 1,
                       "share": pytest.approx(1 / 3), "flips": 2, "broke": 1, "fixed": 1}
    # an instance that breaks, recovers and breaks again counts at its first break
    again = flip_attribution(["r", "a", "b"], ["x", "y"], [np.array([0]), np.array([1]), np.array([2])],
                             np.array([0]))
    assert [r["new_errors"] for r in again] == [1, 0]
    grouped = attribution_by_operation(rows)
    assert grouped[0]["operation"] == "prune (amount=0.5)" and grouped[0]["new_errors"] == 2
    assert grouped[0]["steps"] == 2 and grouped[0]["share"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="needs 3 operations"):
        flip_attribution(["r", "a", "b", "c"], ["x"], [root] * 4, labels)
    assert flip_attribution(["r"], [], [root], labels) == []


def test_operation_label():
    assert operation_label(Operation("prune", {"amount": 0.9})) == "prune (amount=0.9)"
    assert operation_label(Operation("train", {})) == "train" and operation_label(None) == "(none)"


def test_accuracy_ci_contains_true_delta():
    rng = np.random.default_rng(10)
    n = 4000
    base = rng.random(n) < 0.80
    model = base.copy()
    flip = rng.choice(n, 300, replace=False)
    model[flip] = ~model[flip]
    delta, lo, hi = accuracy_delta_ci(base, model, n_boot=4000, seed=1)
    assert delta == pytest.approx(model.mean() - base.mean())
    assert lo < delta < hi
    b = int((base & ~model).sum())
    c = int((~base & model).sum())
    se = np.sqrt((b + c) / n - ((c - b) / n) ** 2) / np.sqrt(n)  # normal approximation of the paired delta
    assert lo == pytest.approx(delta - 1.96 * se, abs=0.4 * se) and hi == pytest.approx(delta + 1.96 * se,
                                                                                       abs=0.4 * se)
    assert accuracy_delta_ci(base, base) == (0.0, 0.0, 0.0)
    assert accuracy_delta_ci(base, model, seed=3) == accuracy_delta_ci(base, model, seed=3)


def test_mcnemar_matches_scipy_and_hand_values():
    def pair(b, c, both=10, neither=5):
        base = np.array([1] * b + [0] * c + [1] * both + [0] * neither, bool)
        model = np.array([0] * b + [1] * c + [1] * both + [0] * neither, bool)
        return base, model

    assert mcnemar_p(*pair(0, 0)) == 1.0
    assert mcnemar_p(*pair(1, 9)) == pytest.approx(stats.binomtest(1, 10, 0.5).pvalue)
    assert mcnemar_p(*pair(1, 9)) == pytest.approx(22 / 1024)  # 2 * (1 + 10) / 2**10
    assert mcnemar_p(*pair(20, 40)) == pytest.approx(stats.chi2.sf((20 - 1) ** 2 / 60, 1))
    assert mcnemar_p(*pair(30, 30)) == pytest.approx(stats.chi2.sf(1 / 60, 1))
    assert mcnemar_p(*pair(3, 7)) == mcnemar_p(*pair(7, 3))


def test_significance_per_model():
    data, _, _ = make_data(n=200)
    sig = significance(data, n_boot=500)
    assert set(sig) == {"m1", "m2"}
    corr = data.correct()
    for j, m in enumerate(MODELS[1:], start=1):
        s = sig[m]
        assert s["delta"] == pytest.approx(corr[j].mean() - corr[0].mean())
        assert s["lo"] <= s["hi"] and 0 <= s["p"] <= 1
        assert s["significant"] == ((s["lo"] > 0 or s["hi"] < 0) and s["p"] < 0.05)


def test_model_summary_still_works():
    _, outs, labels = make_data()
    rows = model_summary(labels, dict(zip(MODELS, outs, strict=True)), "base")
    assert rows[0]["flips"] == 0 and rows[0]["agreement"] == 1.0 and rows[0]["kl"] == pytest.approx(0, abs=1e-9)
