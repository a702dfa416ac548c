"""The streaming kernel against plain numpy float64: sums, zero masks, stacked histograms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backend.layers.tensor_stats import (
    CHUNK,
    FIELDS,
    NOT_COMPARABLE,
    F,
    FileTensor,
    iter_chunks,
    tensor_stats,
)
from backend.present.bins import grid_for_range

CHANGE_EDGES_NP = [0, 0.2, 0.4, 0.6, 0.8, 1.0, 1e12]


def reference(model: np.ndarray, base: np.ndarray, edges: np.ndarray) -> dict:
    """What the statistics mean, in plain float64 numpy (spec §5.6, with the bugs fixed)."""
    m, b = model.astype(np.float64).ravel(), base.astype(np.float64).ravel()
    d = m - b
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(d) / np.abs(b)
    rel[np.isinf(rel)] = 1e9
    rel[np.isnan(rel)] = 0.0
    hist, _, _ = np.histogram2d(m, rel, bins=[edges, CHANGE_EDGES_NP])
    return {
        "n": m.size, "zeros": int((m == 0).sum()), "zeros_base": int((b == 0).sum()),
        "zero_both": int(((m == 0) & (b == 0)).sum()), "zero_model_only": int(((m == 0) & (b != 0)).sum()),
        "zero_base_only": int(((m != 0) & (b == 0)).sum()),
        "abs_sum": np.abs(m).sum(), "sq_sum": (m * m).sum(), "sum": m.sum(),
        "abs_sum_base": np.abs(b).sum(), "sq_sum_base": (b * b).sum(),
        "diff_abs_sum": np.abs(d).sum(), "diff_sq_sum": (d * d).sum(), "diff_sum": d.sum(),
        "min": m.min(), "max": m.max(), "hist": hist.astype(np.int64),
    }


def pruned_pair(n: int, seed: int, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """A base, and a model that prunes small values, perturbs the rest and has a far outlier."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0, 0.05, n).astype(dtype)
    base[rng.random(n) < 0.05] = 0  # some zeros already in the base
    model = base.copy()
    model[np.abs(model) < 0.02] = 0
    model += (rng.normal(0, 0.01, n) * (rng.random(n) < 0.3)).astype(dtype)
    model[rng.random(n) < 0.01] = 0.0  # regrown pattern: base zero, model non-zero below
    model[: min(n, 3)] = 0.9  # outside the base's range: the grid must grow, nothing dropped
    return model, base


@pytest.mark.parametrize("n", [1, 17, CHUNK - 1, CHUNK + 5, 3 * CHUNK + 11])
@pytest.mark.parametrize("totals", [False, True])
def test_pair_matches_numpy_float64(n: int, totals: bool):
    model, base = pruned_pair(n, seed=n)
    base_self = tensor_stats(base, None, None)
    extra = {"base_finite": True, "base_totals": base_self.fields} if totals else {}
    r = tensor_stats(model, base, base_self.grid, **extra)
    ref = reference(model, base, r.grid.edges())
    for name in FIELDS:
        if name in ref:
            assert r.fields[F[name]] == pytest.approx(ref[name], rel=1e-12, abs=1e-12), name
    assert r.fields[F["compared"]] == n and r.fields[F["nonfinite"]] == 0
    assert np.array_equal(r.counts[:, :6], ref["hist"])
    assert r.counts.sum() == n  # every value counted: the top edge covers the maximum
    assert r.grid.edges()[-1] > model.max() and r.grid.edges()[0] <= model.min()
    if base_self.grid.n > 1:  # grown at the same step, so it aligns with the base's column
        assert r.grid.key == base_self.grid.key


def test_self_pass_counts_everything_in_change_bin_zero():
    _, base = pruned_pair(10_000, seed=3)
    r = tensor_stats(base, None, None)
    assert r.counts[:, 1:].sum() == 0 and r.counts[:, 0].sum() == base.size
    ref = np.histogram(base.astype(np.float64), bins=r.grid.edges())[0]
    assert np.array_equal(r.counts[:, 0], ref)


def test_alone_goes_to_not_comparable_bin():
    model, _ = pruned_pair(1000, seed=4)
    r = tensor_stats(model, None, None, alone=True)
    assert r.counts[:, NOT_COMPARABLE].sum() == 1000 and r.counts[:, :NOT_COMPARABLE].sum() == 0
    assert r.fields[F["compared"]] == 0


def test_change_bins_edge_cases():
    base = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 2.0, 1.0], dtype=np.float32)
    model = np.array([1.0, 1.1, 0.5, 0.0, 0.0, 3.0, -2.0, 1.2], dtype=np.float32)
    r = tensor_stats(model, base, grid_for_range(-2, 3, 10))
    per_change = r.counts.sum(axis=0)
    # 0% (1 vs 1), 10% (1.1), 0/0 -> 0: three in bin 0; 20% (1.2) in bin 1; 50% in bin 2;
    # pruned (100%), new non-zero (inf), sign flip (200%): three in the last bin
    assert per_change.tolist() == [3, 1, 1, 0, 0, 3, 0]


def test_float16_sum_overflows_but_float64_does_not():
    """A 50M-value layer: the reference sums |Δ| in float16 and gets inf (then shown as 0)."""
    n = 50_000_000
    rng = np.random.default_rng(7)
    base = rng.normal(0, 0.05, n).astype(np.float32)
    model = (base * np.float32(0.5)).astype(np.float32)
    diff16 = np.abs(model.astype(np.float16) - base.astype(np.float16))
    with np.errstate(over="ignore"):
        assert not math.isfinite(float(diff16.sum(dtype=np.float16)))
    r = tensor_stats(model, base, tensor_stats(base[:CHUNK], None, None).grid)
    expected = np.abs(model.astype(np.float64) - base.astype(np.float64)).sum()
    assert math.isfinite(r.fields[F["diff_abs_sum"]])
    assert r.fields[F["diff_abs_sum"]] == pytest.approx(expected, rel=1e-12)
    assert r.counts.sum() == n


def test_nonfinite_values_are_counted_not_summed():
    base = np.array([1.0, 2.0, np.nan, 4.0], dtype=np.float32)
    model = np.array([1.0, np.inf, 3.0, 0.0], dtype=np.float32)
    r = tensor_stats(model, base, grid_for_range(0, 4, 4))
    assert r.fields[F["nonfinite"]] == 2 and r.fields[F["compared"]] == 2
    assert r.fields[F["diff_abs_sum"]] == 4.0 and r.counts.sum() == 2


def test_nonfinite_model_with_base_totals():
    base = np.array([1.0, 2.0, 0.0, 4.0] * 3, dtype=np.float32)
    model = np.array([1.0, np.nan, 0.0, 0.0] * 3, dtype=np.float32)
    base_self = tensor_stats(base, None, None)
    fast = tensor_stats(model, base, base_self.grid, base_finite=True, base_totals=base_self.fields)
    slow = tensor_stats(model, base, base_self.grid)
    assert np.array_equal(fast.fields, slow.fields)
    assert fast.fields[F["abs_sum_base_cmp"]] == 15.0 and fast.fields[F["zero_base_only"]] == 0


def test_file_tensor_reads_in_chunks(tmp_path):
    model, base = pruned_pair(2 * CHUNK + 3, seed=9)
    np.save(tmp_path / "m.npy", model)
    np.save(tmp_path / "b.npy", base)
    mm = np.load(tmp_path / "m.npy", mmap_mode="r")
    ft = FileTensor.of(mm)
    assert isinstance(ft, FileTensor) and ft.shape == model.shape
    assert np.array_equal(np.concatenate([c.copy() for c in iter_chunks(ft)]), model)
    assert FileTensor.of(mm[1:]) is not ft and not isinstance(FileTensor.of(mm[1:]), FileTensor)
    bs = np.load(tmp_path / "b.npy", mmap_mode="r")
    from_file = tensor_stats(ft, FileTensor.of(bs), tensor_stats(base, None, None).grid)
    in_memory = tensor_stats(model, base, tensor_stats(base, None, None).grid)
    assert np.array_equal(from_file.fields, in_memory.fields)
    assert np.array_equal(from_file.counts, in_memory.counts)


def test_integer_and_half_tensors_are_converted():
    base = np.arange(-5, 5, dtype=np.int8)
    model = np.zeros(10, dtype=np.float16)
    r = tensor_stats(model, base, grid_for_range(-5, 5, 10))
    assert r.fields[F["zero_model_only"]] == 9 and r.fields[F["diff_abs_sum"]] == 25


def test_grid_coarsens_for_far_outliers():
    base = np.random.default_rng(0).normal(0, 0.01, 1000).astype(np.float32)
    model = base.copy()
    model[0] = 1e6
    r = tensor_stats(model, base, tensor_stats(base, None, None).grid)
    assert r.grid.n <= 30 * 8 and r.counts.sum() == 1000 and r.grid.edges()[-1] > 1e6
