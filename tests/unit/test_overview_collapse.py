"""Collapsing, automatic collapsing, search, edge deltas and the compare base."""

from __future__ import annotations

import json

import pytest

from backend.experiment.loader import load_experiment
from backend.overview.collapse import auto_collapse, compare_base, edge_deltas, reveal, search, visible
from tests.conftest import reference_tree
from tests.support.forests import synthetic_models_doc


@pytest.fixture(scope="module")
def imagenet():
    return load_experiment(reference_tree("imagenet.json")).forest


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "forest.json"
    path.write_text(json.dumps(synthetic_models_doc(5000)))
    return load_experiment(path).forest


def test_visible_hides_collapsed_subtrees(imagenet):
    mid = "resnet50trained-magnitudepruning50_compressed"
    shown, counts = visible(imagenet, [mid])
    assert mid in shown and counts == {mid: len(imagenet.descendants(mid))}
    assert not set(imagenet.descendants(mid)) & set(shown)
    assert len(shown) == len(imagenet) - counts[mid]
    # collapsing a node inside a collapsed subtree changes nothing visible
    inner = imagenet.children(mid)[0]
    assert visible(imagenet, [mid, inner]) == (shown, counts)


def test_auto_collapse_keeps_every_model_reachable(big):
    collapsed = auto_collapse(big, 800)
    shown, counts = visible(big, collapsed)
    assert 0 < len(shown) <= 800
    assert len(shown) + sum(counts.values()) == len(big)  # nothing lost: all hidden are counted
    assert auto_collapse(big, 10_000) == []


def test_reveal_opens_path_to_target(big):
    collapsed = auto_collapse(big, 300)
    deep = max(big.ids, key=big.depth)
    shown, _ = visible(big, collapsed)
    assert deep not in shown
    shown_after, _ = visible(big, reveal(big, collapsed, [deep]))
    assert deep in shown_after and set(big.path(deep)) <= set(shown_after)


def test_search_id_and_tag(imagenet):
    assert search(imagenet, "resnet50trained")[0] == "resnet50trained"
    assert all("amount: 0.9" in (imagenet[i].tag or "").lower() or "0.9" in i for i in search(imagenet, "amount: 0.9"))
    assert search(imagenet, "  ") == [] and len(search(imagenet, "a", limit=5)) == 5


def test_edge_deltas_vs_parent_and_root(imagenet):
    child = "resnet50trained-magnitudepruning50_compressed_quantizeint8"
    rows = {r["metric"]: r for r in edge_deltas(imagenet, child)}
    acc = rows["Top-1 Accuracy"]
    parent = imagenet["resnet50trained-magnitudepruning50_compressed"].metrics["Top-1 Accuracy"]
    root = imagenet["resnet50trained"].metrics["Top-1 Accuracy"]
    assert acc["parent_abs"] == pytest.approx(acc["value"] - parent)
    assert acc["root_rel"] == pytest.approx((acc["value"] - root) / root)
    assert rows["Sparsity"]["root_rel"] is None  # root sparsity 0: no relative change


def test_compare_base_shortest_path_ties_to_later(imagenet):
    a, b = "resnet50trained-magnitudepruning50_compressed", "resnet50trained-magnitudepruning75_compressed"
    leaf = "resnet50trained-magnitudepruning50_compressed_quantizeint8"
    assert compare_base(imagenet, [leaf, a]) == a
    assert compare_base(imagenet, [a, b, leaf]) == b
    assert compare_base(imagenet, []) is None
