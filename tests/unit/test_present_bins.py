"""Round-step bin grids: nice edges always cover the data, maximum included; grids re-bin exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.present.bins import (
    EMPTY_GRID,
    Grid,
    common_grid,
    counts,
    grid_for_range,
    nice_edges,
    nice_step,
    rebin,
    step_lcm,
    step_ratio,
)


def test_round_steps():
    edges = nice_edges(0.0, 1.0)
    assert np.allclose(np.diff(edges), 0.05) and edges[0] == 0.0 and edges[-1] >= 1.0
    assert len(nice_edges(0, 95246447, 20)) <= 22


@given(st.lists(st.floats(-1e9, 1e9), min_size=1, max_size=50), st.integers(2, 30))
def test_edges_cover_all_values(values, target):
    arr = np.array(values)
    edges = nice_edges(float(arr.min()), float(arr.max()), target)
    assert edges[0] <= arr.min() and edges[-1] >= arr.max()
    assert counts(arr, edges).sum() == len(arr)  # nothing dropped, the maximum included
    assert len(edges) - 1 <= 2 * target + 2


def test_nice_edges_are_the_layers_grid():
    """One grid: the filter pane's edges are those of the grid the Layers statistics bin on."""
    for lo, hi, target in ((0.0, 1.0, 20), (-0.013, 0.0055, 17), (74.0, 74.009, 9), (3.0, 3.0, 5)):
        grid = grid_for_range(lo, hi if hi > lo else lo + 1.0, target)
        assert np.array_equal(nice_edges(lo, hi, target), grid.edges())


@pytest.mark.parametrize(("raw", "step"), [(0.013, (2, -2)), (1.0, (1, 0)), (3.0, (5, 0)), (7.0, (1, 1)),
                                           (0.0021, (5, -3))])
def test_nice_step(raw, step):
    assert nice_step(raw) == step


def test_step_arithmetic():
    assert step_ratio((2, -2), (1, -1)) == 5 and step_ratio((5, -1), (2, 0)) == 4
    assert step_ratio((2, 0), (5, 0)) is None and step_ratio((5, 0), (2, 0)) is None
    assert step_lcm((2, 0), (5, 0)) == (1, 1) and step_lcm((5, -1), (2, 0)) == (2, 0)
    assert step_lcm((1, -3), (5, -2)) == (5, -2)


def test_grid_for_range_covers_the_maximum():
    g = grid_for_range(0.0, 1.0, 20)  # the reference's arange drops the top edge here (spec §5.5)
    assert g.edges()[-1] > 1.0 and g.edges()[0] <= 0.0 and 20 <= g.n <= 22
    constant = grid_for_range(1.0, 1.0, 30)
    assert constant.n == 1 and constant.edges()[0] <= 1.0 < constant.edges()[1]


def test_rebin_and_common_grid_conserve_counts():
    a = Grid(2, -2, -7, 10)  # [-0.14, 0.06)
    b = Grid(5, -2, 3, 4)  # [0.15, 0.35)
    g = common_grid([a, b])
    assert g.key == (1, -1) and g.edges()[0] <= -0.14 and g.edges()[-1] >= 0.35
    counts = np.arange(10 * 7).reshape(10, 7)
    moved = rebin(counts, a, g)
    assert moved.sum() == counts.sum() and np.array_equal(moved.sum(axis=0), counts.sum(axis=0))
    coarse = common_grid([a, b], max_bins=2)
    assert coarse.n <= 2 and step_ratio(g.key, coarse.key)


def test_common_grid_of_stored_rows_matches_grids():
    grids = [Grid(2, -2, -7, 10), Grid(5, -2, 3, 4), Grid(1, -3, 40, 3), Grid(2, -2, -7, 1)]
    rows = np.asarray([g.as_row() for g in grids], dtype=np.int64)
    for max_bins in (None, 30, 3):
        assert common_grid(rows, max_bins) == common_grid(grids, max_bins)
    assert common_grid([]) == common_grid(np.zeros((0, 4), dtype=np.int64)) == EMPTY_GRID


def test_a_subnormal_minimum_is_covered():
    """Found by hypothesis in a fresh clone: -5e-324 / step underflows to -0.0, so the first edge
    was 0.0 and the value fell outside every bin."""
    arr = np.array([3.0, -5e-324])
    edges = nice_edges(float(arr.min()), float(arr.max()), 2)
    assert edges[0] <= arr.min() and counts(arr, edges).sum() == 2
