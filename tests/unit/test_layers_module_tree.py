"""The module tree: dotted names, contiguous subtrees, filters, sorting and paging."""

from __future__ import annotations

import numpy as np

from backend.layers.module_tree import build_tree, filtered_tops, page_rows, sort_nodes, subtree_reduce

NAMES = ["enc.conv.weight", "enc.conv.bias", "enc.norm.weight", "head.weight", "head.bias", "scale"]


def test_tree_preorder_parents_and_labels():
    t = build_tree(NAMES)
    assert t.names == ("enc", "enc.conv", "enc.conv.weight", "enc.conv.bias", "enc.norm",
                       "enc.norm.weight", "head", "head.weight", "head.bias", "scale")
    assert [t.names[i] for i in t.roots] == ["enc", "head", "scale"]
    enc = t.index["enc"]
    assert t.end[enc] == t.index["head"] and t.depth[t.index["enc.conv.bias"]] == 2
    assert t.label(t.index["enc.conv.bias"], top=False) == "bias"
    assert t.label(t.index["enc.conv.bias"], top=True) == "enc.conv.bias"
    assert [t.names[i] for i in t.data_under(enc)] == ["enc.conv.weight", "enc.conv.bias", "enc.norm.weight"]
    assert t.data.sum() == len(NAMES)


def test_subtree_reduce_sums_and_minimums():
    t = build_tree(NAMES)
    rows = np.zeros((len(t), 1))
    for i, name in enumerate(t.names):
        if t.data[i]:
            rows[i, 0] = len(name)
    sums = subtree_reduce(t, rows, np.add, 0.0)[:, 0]
    assert sums[t.index["enc"]] == len("enc.conv.weight") + len("enc.conv.bias") + len("enc.norm.weight")
    assert sums[t.index["scale"]] == 5
    mins = subtree_reduce(t, np.where(t.data[:, None], rows, np.inf), np.minimum, np.inf)[:, 0]
    assert mins[t.index["head"]] == len("head.bias")


def test_filter_keeps_highest_matches():
    t = build_tree(NAMES)
    matched = [("conv" in n) or n.endswith("bias") for n in t.names]
    assert [t.names[i] for i in filtered_tops(t, matched)] == ["enc.conv", "head.bias"]


def test_sort_missing_last_ties_in_tree_order():
    keys = np.array([0.5, np.nan, 0.9, 0.5])
    assert sort_nodes([0, 1, 2, 3], keys, descending=True) == [2, 0, 3, 1]
    assert sort_nodes([0, 1, 2, 3], keys, descending=False) == [0, 3, 2, 1]


def test_paging_counts_top_rows_and_shows_expanded_children():
    t = build_tree([f"m{i}.w" for i in range(45)])
    page = page_rows(t, t.roots, {t.index["m20.w"], t.index["m20"]}, page=2)
    assert (page.first, page.last, page.total, page.pages) == (21, 40, 45, 3)
    names = [t.names[r.node] for r in page.rows]
    assert names[:3] == ["m20", "m20.w", "m21"] and page.rows[1].indent == 1 and not page.rows[1].top
    last = page_rows(t, t.roots, set(), page=99)
    assert (last.page, last.first, last.last) == (3, 41, 45)
    empty = page_rows(t, [], set(), page=1)
    assert (empty.first, empty.last, empty.total, empty.pages) == (0, 0, 0, 1)
