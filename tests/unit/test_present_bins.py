"""Nice histogram edges always cover the data, maximum included."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from backend.present.bins import counts, nice_edges


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
