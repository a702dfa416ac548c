"""Behaviors maths against plain float64 numpy: comparison kinds and building the data."""

from __future__ import annotations

import numpy as np
import pytest

import backend.behaviors.vectors as bh
from backend.behaviors import CORRECTNESS, build_behavior_data, comparison_vectors, kl_divergence
from backend.inference.protocol import COMPARISON_KINDS, ComparisonSpec
from tests.support.behaviors_data import MODELS, make_data, probs, reference


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
        elif kind == "agreement":  # the base agrees with itself everywhere
            assert np.all(diff[0] == 1.0)
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



def test_plain_kl_divergence_matches_the_chunked_reduction():
    b, m = probs(np.random.default_rng(6), 50, 7, 2)
    np.testing.assert_allclose(kl_divergence(b, m), comparison_vectors("kl_divergence", [b, m])[0][1],
                               rtol=1e-9, atol=1e-13)
    assert np.all(kl_divergence(b, b) == 0.0)


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


def test_agreement_of_token_codes_with_padding():
    base = np.array([[3, 5, -1], [2, -1, -1], [-1, -1, -1]])
    model = np.array([[3, 4, 7], [2, 9, 9], [1, 1, 1]])
    diff, value = comparison_vectors("agreement", [base, model])
    assert value is None
    assert diff[1].tolist() == [0.5, 1.0, 1.0]  # padding never counts; no position at all: agrees
    assert diff[0].tolist() == [1.0, 1.0, 1.0]
