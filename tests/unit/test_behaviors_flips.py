"""Behaviors flips, per-step attribution and significance against hand values and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from backend.behaviors import (
    accuracy_delta_ci,
    attribution_by_operation,
    flip_attribution,
    flip_matrix,
    mcnemar_p,
    operation_label,
    significance,
)
from backend.experiment.forest import Operation
from tests.support.behaviors_data import MODELS, make_data


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
    assert operation_label(Operation("train", {})) == "train" and operation_label(None) == "(root)"


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

