"""The Behaviors data from a tiny real engine: computed once, then read back from the cache."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pytest

from backend.behaviors import CORRECTNESS, BehaviorQuery, build_behavior_data, query
from backend.behaviors import store as behavior_store
from backend.behaviors.store import all_cached, behavior_data, derived_cached
from backend.experiment.schema import InspectorSpec
from backend.inference import EvalDataset, InspectorError
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.infra.cache import ResultCache
from tests.support import tiny


@pytest.fixture
def forest(tmp_path: Path):
    return tiny.tiny_forest(tmp_path)


@pytest.fixture(autouse=True)
def fresh_memory():
    behavior_store.clear_memory()
    yield
    behavior_store.clear_memory()


def _engine(forest, tmp_path: Path) -> Engine:
    inspector = make_inspector(InspectorSpec(module="tests.support.tiny", **{"class": "TinyInspector"},
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


class MultiClassInspector(tiny.TinyInspector):
    """The tiny dataset with instances in two classes: each is in its label's class, every
    third instance also in the next class (as CelebA's attributes overlap)."""

    def dataset(self) -> EvalDataset:
        ds = super().dataset()
        classes = [[int(y)] if i % 3 else np.array([(y + 1) % 3, y]) for i, y in enumerate(ds.labels)]
        return EvalDataset(ds.ids, ds.labels, ds.class_names, "text", classes=classes)


def test_instances_in_several_classes_count_once_per_class(forest, tmp_path: Path):
    eng = Engine(forest, MultiClassInspector(device="cpu", batch_size=32), ResultCache(tmp_path / "cache"))
    ds = eng.dataset
    assert ds.classes[0] == tuple(sorted({int(ds.labels[0]), (int(ds.labels[0]) + 1) % 3}))
    member = np.zeros((tiny.N, tiny.CLASSES), dtype=bool)
    for i, row in enumerate(ds.classes):
        member[i, list(row)] = True
    assert member.sum() == tiny.N + len(range(0, tiny.N, 3))  # every third instance twice
    models = ["base", "child"]

    def check(data) -> None:
        correct = data.correct().astype(float)
        result = query(data, BehaviorQuery(CORRECTNESS, mode="absolute", level="class"))
        assert [r["name"] for r in result.rows] == ["a", "b", "c"]
        assert result.n_instances == member.sum()
        for row in result.rows:
            c = row["class"]
            assert row["count"] == member[:, c].sum()
            for j, m in enumerate(models):
                assert row["cells"][m]["value"] == pytest.approx(correct[j, member[:, c]].mean())
        for j, m in enumerate(models):  # class means weighted by size: each membership counts
            assert result.summary[m]["mean_value"] == pytest.approx((correct[j] @ member).sum() / member.sum())
        rel = query(data, BehaviorQuery(CORRECTNESS, mode="relative", level="class"))
        for row in rel.rows:
            base_mean = correct[0, member[:, row["class"]]].mean()
            delta = (correct[1] - correct[0])[member[:, row["class"]]].mean()
            assert row["cells"]["child"]["difference"] == pytest.approx(delta / base_mean if delta else 0.0)
        kl = query(data, BehaviorQuery("KL divergence", mode="relative", level="class"))
        diff = data.comparisons["KL divergence"].difference
        for row in kl.rows:
            assert row["cells"]["child"]["shown"] == pytest.approx(diff[1, member[:, row["class"]]].mean())
        for c in range(tiny.CLASSES):
            inst = query(data, BehaviorQuery(CORRECTNESS, level="instance", class_filter=c, page_size=1000))
            assert sorted(r["index"] for r in inst.rows) == np.flatnonzero(member[:, c]).tolist()

    check(behavior_data(eng, models))  # computed
    behavior_store.clear_memory()
    eng = Engine(forest, MultiClassInspector(device="cpu", batch_size=32), ResultCache(tmp_path / "cache"))
    eng.predictions = None  # a cache hit must not compute
    check(behavior_data(eng, models))  # read back: the membership comes from the dataset again


def test_class_membership_is_in_the_fingerprint_only_when_given():
    ds = tiny.TinyInspector(device="cpu").dataset()
    h = hashlib.sha256()  # the fingerprint before EvalDataset had ``classes``: caches stay valid
    h.update(np.asarray(ds.ids).astype(str).tobytes())
    h.update(np.asarray(ds.labels).tobytes())
    h.update("\x1f".join(ds.class_names).encode())
    h.update(ds.content_digest.encode())
    assert ds.fingerprint() == h.hexdigest()
    single = [[int(y)] for y in ds.labels]
    multi = EvalDataset(ds.ids, ds.labels, ds.class_names, "text", classes=single)
    assert multi.classes == tuple((int(y),) for y in ds.labels) and hash(multi.classes)
    assert multi.fingerprint() != ds.fingerprint()
    other = [[int(y), 0] for y in ds.labels]
    assert EvalDataset(ds.ids, ds.labels, ds.class_names, classes=other).fingerprint() != multi.fingerprint()
    with pytest.raises(InspectorError, match="classes has 99 rows for 100 instances"):
        EvalDataset(ds.ids, ds.labels, ds.class_names, classes=single[:-1])
    with pytest.raises(InspectorError, match="instance 1 is in class 3, but there are 3 class names"):
        EvalDataset(ds.ids, ds.labels, ds.class_names, classes=[[0], [1, 3]] + single[2:])
