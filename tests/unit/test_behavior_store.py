"""The Behaviors data from a tiny real engine: computed once, then read back from the cache."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from backend import behavior_store
from backend.behavior_store import all_cached, behavior_data, derived_cached
from backend.behaviors import CORRECTNESS, build_behavior_data
from backend.cache import ResultCache
from backend.config import InspectorSpec
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.loader import load_experiment
from tests.plugins import tiny


@pytest.fixture
def forest(tmp_path: Path):
    ckpts = tmp_path / "ckpt"
    ckpts.mkdir()
    for i, mid in enumerate(["base", "child", "other"]):
        tiny.save_linear(ckpts / f"{mid}.pt", seed=i)
    (tmp_path / "exp.yaml").write_text(
        "name: tiny\nmodels:\n"
        "  - {id: base, checkpoint: ckpt/base.pt}\n"
        "  - {id: child, base: base, checkpoint: ckpt/child.pt}\n"
        "  - {id: other, base: base, checkpoint: ckpt/other.pt}\n"
        "  - {id: nockpt, base: base, checkpoint: ckpt/missing.pt}\n")
    return load_experiment(tmp_path / "exp.yaml").forest


@pytest.fixture(autouse=True)
def fresh_memory():
    behavior_store.clear_memory()
    yield
    behavior_store.clear_memory()


def _engine(forest, tmp_path: Path) -> Engine:
    inspector = make_inspector(InspectorSpec(module="tests.plugins.tiny", **{"class": "TinyInspector"},
                                             batch_size=32, device="cpu"))
    return Engine(forest, inspector, ResultCache(tmp_path / "cache"))


def _same(a, b) -> None:
    assert a.models == b.models and list(a.comparisons) == list(b.comparisons)
    np.testing.assert_array_equal(a.predicted, b.predicted)
    np.testing.assert_array_equal(a.labels, b.labels)
    for name, comp in a.comparisons.items():
        other = b.comparisons[name]
        assert (comp.kind, comp.options) == (other.kind, other.options)
        np.testing.assert_array_equal(comp.difference, other.difference)
        if comp.value is None:
            assert other.value is None
        else:
            np.testing.assert_array_equal(comp.value, other.value)


def test_first_call_computes_and_matches_build(forest, tmp_path: Path):
    eng = _engine(forest, tmp_path)
    models = ["base", "child", "other"]
    assert not all_cached(eng, models) and not derived_cached(eng, models)
    seen = []
    data = behavior_data(eng, models, lambda d, t, m: seen.append((d, t, m)))
    assert all_cached(eng, models) and derived_cached(eng, models)
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen) and seen[-1][0] == seen[-1][1]
    outputs = {m: eng.predictions(m) for m in models}
    ds = eng.dataset
    direct = build_behavior_data(models, outputs, ds.labels, ds.class_names, ds.ids, eng.inspector.comparisons())
    _same(data, direct)
    assert list(data.comparisons)[0] == CORRECTNESS and data.class_names == ("a", "b", "c")


def test_second_call_reads_the_cache_without_predictions(forest, tmp_path: Path, monkeypatch):
    models = ["base", "child", "other"]
    first = behavior_data(_engine(forest, tmp_path), models)
    assert behavior_data(_engine(forest, tmp_path), models) is first  # per-process LRU
    behavior_store.clear_memory()
    eng = _engine(forest, tmp_path)  # a restarted app on the same cache directory
    tiny.CALLS["load"] = 0

    def no_predictions(*_a, **_k):
        raise AssertionError("predictions must not be read on a cache hit")

    monkeypatch.setattr(eng, "predictions", no_predictions)
    again = behavior_data(eng, models)
    assert tiny.CALLS["load"] == 0 and again is not first
    _same(again, first)
    swapped = behavior_data(eng, ["base", "other", "child"])  # reordering others reuses the entry
    assert swapped.models == ("base", "other", "child")
    for name, comp in first.comparisons.items():
        np.testing.assert_array_equal(swapped.comparisons[name].difference, comp.difference[[0, 2, 1]])
    np.testing.assert_array_equal(swapped.predicted, first.predicted[[0, 2, 1]])


def test_another_base_is_another_entry(forest, tmp_path: Path):
    eng = _engine(forest, tmp_path)
    a = behavior_data(eng, ["base", "child"])
    b = behavior_data(eng, ["child", "base"])
    assert b.base == "child"
    kl_a, kl_b = a.comparisons["KL divergence"].difference, b.comparisons["KL divergence"].difference
    assert np.all(kl_a[0] == 0) and np.all(kl_b[0] == 0) and not np.allclose(kl_a[1], kl_b[1])
    np.testing.assert_array_equal(a.predicted[::-1], b.predicted)


def test_changed_checkpoint_is_not_served_stale(forest, tmp_path: Path):
    models = ["base", "child"]
    before = behavior_data(_engine(forest, tmp_path), models)
    time.sleep(0.01)
    tiny.save_linear(forest["child"].checkpoint, seed=42)
    behavior_store.clear_memory()
    after = behavior_data(_engine(forest, tmp_path), models)
    assert not np.array_equal(before.comparisons["KL divergence"].difference,
                              after.comparisons["KL divergence"].difference)


def test_all_cached_is_false_for_a_missing_checkpoint(forest, tmp_path: Path):
    eng = _engine(forest, tmp_path)
    eng.predictions("base")
    assert all_cached(eng, ["base"]) and not all_cached(eng, ["base", "nockpt"]) and not all_cached(eng, [])
