"""Properties of the Behaviors maths on random small data (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.behaviors import (
    CORRECTNESS,
    BehaviorQuery,
    build_behavior_data,
    comparison_vectors,
    flip_matrix,
    mcnemar_p,
    query,
)
from backend.behaviors.significance import accuracy_delta_ci
from backend.inference.protocol import COMPARISON_KINDS, ComparisonSpec
from tests.support.behaviors_data import reference

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def output_sets(draw):
    k, n, c = draw(st.integers(1, 4)), draw(st.integers(1, 30)), draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if draw(st.booleans()):
        outs = [rng.dirichlet(np.ones(c), size=n) for _ in range(k)]
    else:  # coarse values: many ties in argmax and in sorting
        outs = [rng.integers(0, 3, size=(n, c)) / 2.0 for _ in range(k)]
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return [o.astype(dtype) for o in outs], rng


@SETTINGS
@given(output_sets(), st.sampled_from(COMPARISON_KINDS))
def test_kinds_match_reference(case, kind):
    outs, _ = case
    diff, value = comparison_vectors(kind, outs)
    ref_d, ref_v = reference(kind, outs)
    np.testing.assert_allclose(diff, ref_d, rtol=1e-9, atol=1e-12)
    assert (value is None) == (ref_v is None)
    if value is not None:
        np.testing.assert_allclose(value, ref_v, rtol=1e-12, atol=0)


def _data(outs, rng):
    k = len(outs)
    n, c = outs[0].shape
    models = [f"m{i}" for i in range(k)]
    labels = rng.integers(0, c, size=n)
    specs = [ComparisonSpec("D", "difference_argmax", "probs"), ComparisonSpec("KL", "kl_divergence", "probs")]
    data = build_behavior_data(models, {m: {"probs": o} for m, o in zip(models, outs, strict=True)}, labels,
                               [f"c{i}" for i in range(c)], np.arange(n), specs)
    return data, models


queries = st.fixed_dictionaries({
    "comparison": st.sampled_from([CORRECTNESS, "D", "KL"]),
    "mode": st.sampled_from(["absolute", "relative"]),
    "level": st.sampled_from(["class", "instance"]),
    "sort": st.one_of(st.none(), st.tuples(st.sampled_from(["m0", "m1", "m3"]), st.sampled_from(["desc", "asc"]))),
    "page_size": st.integers(1, 7),
    "wrong_by": st.one_of(st.none(), st.integers(0, 4)),
    "brush": st.one_of(st.none(), st.tuples(st.floats(-1, 1), st.floats(-1, 1))),
})


@SETTINGS
@given(output_sets(), queries)
def test_pages_cover_every_row_once_in_order(case, qd):
    outs, rng = case
    data, models = _data(outs, rng)
    brushes = {"m1": qd["brush"]} if qd["brush"] else {}
    base = BehaviorQuery(qd["comparison"], qd["mode"], qd["level"], sort=qd["sort"], page_size=qd["page_size"],
                         wrong_by=qd["wrong_by"], brushes=brushes)
    first = query(data, base)
    assert first.pages == max(1, -(-first.total // qd["page_size"]))
    rows = []
    for page in range(first.pages + 1):  # one past the end: clamped to the last page
        r = query(data, BehaviorQuery(**{**base.__dict__, "page": page}))
        assert r.page == min(page, first.pages - 1) and len(r.rows) <= qd["page_size"]
        if page < first.pages:
            rows.extend(r.rows)
    assert len(rows) == first.total
    key = "index" if qd["level"] == "instance" else "class"
    assert len({row[key] for row in rows}) == len(rows)
    if qd["level"] == "instance":
        wrong = data.wrong
        for row in rows:
            assert qd["wrong_by"] is None or wrong[row["index"]] == qd["wrong_by"]
        assert first.n_instances == first.total
    else:
        assert first.n_instances == sum(row["count"] for row in rows)
    if brushes and "m1" in models:
        lo, hi = sorted(qd["brush"])
        assert all(row["cells"]["m1"]["shown"] is not None and lo <= row["cells"]["m1"]["shown"] <= hi
                   for row in rows)
    if qd["sort"] and qd["sort"][0] in models:
        vals = [row["cells"][qd["sort"][0]]["shown"] for row in rows]
        vals = [abs(v) if first.mode == "relative" else v for v in vals if v is not None]
        assert vals == sorted(vals, reverse=qd["sort"][1] == "desc")
    for model, hist in first.histograms.items():
        assert len(hist["edges"]) == len(hist["counts"]) + 1
        assert first.mode == "absolute" or model != "m0"
    lo, hi = first.domain
    assert lo <= hi and first.diverging == (lo < 0) and (not first.diverging or lo == -hi)


@SETTINGS
@given(output_sets())
def test_flip_matrix_is_a_metric(case):
    outs, rng = case
    data, _ = _data(outs, rng)
    f = flip_matrix(data)
    k = len(outs)
    assert f.shape == (k, k) and np.array_equal(f, f.T) and np.all(np.diag(f) == 0)
    assert np.all((f >= 0) & (f <= 1))
    for i in range(k):
        for j in range(k):
            assert np.all(f[i, j] <= f[i] + f[:, j] + 1e-12)  # disagreement obeys the triangle inequality


@SETTINGS
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=200), st.integers(0, 5))
def test_significance_bounds(pairs, seed):
    base = np.array([p[0] for p in pairs])
    model = np.array([p[1] for p in pairs])
    delta, lo, hi = accuracy_delta_ci(base, model, n_boot=300, seed=seed)
    assert -1 <= lo <= hi <= 1 and abs(delta - (model.mean() - base.mean())) < 1e-12
    p = mcnemar_p(base, model)
    assert 0 <= p <= 1 and p == mcnemar_p(model, base)
