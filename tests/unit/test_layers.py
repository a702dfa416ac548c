"""backend.layers: pairs of models, shape changes, parents' sums, caching through the engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from backend import layers
from backend.experiment.loader import load_experiment
from backend.experiment.schema import InspectorSpec
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.infra.cache import ResultCache
from backend.layers.tensor_stats import NOT_COMPARABLE, F
from tests.support import tiny


def model_dicts(seed: int = 0) -> tuple[dict, dict]:
    """A base and a model: one pruned layer, one fine-tuned, one narrowed, one new, one removed."""
    rng = np.random.default_rng(seed)
    base = {
        "enc.conv.weight": rng.normal(0, 0.1, (8, 4, 3, 3)).astype(np.float32),
        "enc.conv.bias": rng.normal(0, 0.1, 8).astype(np.float32),
        "enc.norm.weight": np.ones(8, dtype=np.float32),
        "head.weight": rng.normal(0, 0.05, (10, 32)).astype(np.float32),
        "gone.weight": rng.normal(0, 1, 5).astype(np.float32),
    }
    model = {k: v.copy() for k, v in base.items() if k != "gone.weight"}
    model["enc.conv.weight"][np.abs(model["enc.conv.weight"]) < 0.1] = 0
    model["enc.norm.weight"] += 0.01
    model["head.weight"] = rng.normal(0, 0.05, (10, 16)).astype(np.float32)  # structured pruning
    model["extra.scale"] = np.full(3, 2.0, dtype=np.float32)
    return model, base


def test_pair_stats_per_tensor_and_shape_changes():
    model, base = model_dicts()
    base_self = layers.self_stats(base)
    s = layers.pair_stats(model, base, base_self)
    assert s.names == list(base) + ["extra.scale"]
    conv = s.fields[s.index["enc.conv.weight"]]
    b, m = base["enc.conv.weight"].astype(np.float64), model["enc.conv.weight"].astype(np.float64)
    assert conv[F["zero_model_only"]] == (m == 0).sum() and conv[F["zero_both"]] == 0
    assert conv[F["diff_abs_sum"]] == pytest.approx(np.abs(m - b).sum(), rel=1e-12)
    head = s.fields[s.index["head.weight"]]
    assert head[F["compared"]] == 0 and head[F["n"]] == 160 and head[F["n_base"]] == 320
    assert head[F["abs_sum"]] == pytest.approx(np.abs(model["head.weight"].astype(np.float64)).sum())
    assert s.shapes[s.index["head.weight"]] == [[10, 16], [10, 32]]
    assert s.hist(s.index["head.weight"])[:, NOT_COMPARABLE].sum() == 160
    gone = s.fields[s.index["gone.weight"]]
    assert gone[F["n"]] == 0 and gone[F["n_base"]] == 5 and s.shapes[s.index["gone.weight"]] == [None, [5]]
    extra = s.fields[s.index["extra.scale"]]
    assert extra[F["n"]] == 3 and extra[F["n_base"]] == 0 and s.shapes[-1] == [[3], None]


def test_summary_sums_parents_and_keeps_histograms():
    model, base = model_dicts()
    base_self = layers.self_stats(base)
    view = layers.LayerSummary("parameters", "b", ["b", "m"], {"b": base_self,
                                                         "m": layers.pair_stats(model, base, base_self)})
    t = view.tree
    enc = t.index["enc"]
    expected_n = sum(base[k].size for k in base if k.startswith("enc."))
    assert view.field("b", "n")[enc] == expected_n
    expected_zeros = sum(int((model[k] == 0).sum()) for k in model if k.startswith("enc."))
    assert view.field("m", "zeros")[enc] == expected_zeros
    diff = sum(np.abs(model[k].astype(np.float64) - base[k]).sum() for k in model if k.startswith("enc."))
    assert view.field("m", "diff_abs_sum")[enc] == pytest.approx(diff, rel=1e-12)
    grid, hists = view.histograms(enc)
    assert hists["m"].sum() == expected_n and hists["b"].sum() == expected_n
    assert grid.n <= layers.DISPLAY_BINS
    # the sort keys and the heatmap
    sparsity = view.change("m", "sparsity")
    assert sparsity[enc] == pytest.approx(expected_zeros / expected_n)
    weights = view.change("m", "weights")
    assert weights[t.index["head"]] != weights[t.index["head"]]  # NaN: nothing comparable
    assert 0 < weights[enc] < 2 and view.rankable[enc] and not view.rankable[t.index["enc.conv.weight"]]
    assert view.heatmap("weights", [enc]).shape == (1, 1)
    edges, fractions = view.distributions(enc)
    assert len(edges) == len(fractions["b"]) + 1 and fractions["m"].sum() == pytest.approx(1.0)
    assert view.shapes("m", t.index["head.weight"]) == ([10, 16], [10, 32])
    assert view.not_comparable("m", t.index["head"]) == 160


def test_instance_divergence_first_layer_over_threshold():
    base = {"a": np.ones((1, 4)), "b": np.ones((1, 4)), "c": np.ones((1, 2))}
    model = {"a": np.ones((1, 4)), "b": np.ones((1, 4)) * 1.5, "c": np.ones((1, 3))}
    out = layers.instance_divergence({"base": base, "m": model}, "base")
    assert out.layers == ["a", "b", "c"] and out.first == {"m": "b"}
    assert out.distances["m"][0] == 0 and out.distances["m"][1] == pytest.approx(0.5 / 1.5)
    assert np.isnan(out.distances["m"][2])
    assert layers.activation_distance(np.zeros(3), np.zeros(3)) == 0.0


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    ckpts = tmp_path / "ckpt"
    ckpts.mkdir()
    for i, mid in enumerate(["base", "child", "other"]):
        tiny.save_linear(ckpts / f"{mid}.pt", seed=i)
    pruned = torch.load(ckpts / "base.pt", weights_only=True)
    pruned["weight"][pruned["weight"].abs() < 0.2] = 0
    torch.save(pruned, ckpts / "child.pt")
    (tmp_path / "exp.yaml").write_text(
        "name: tiny\nmodels:\n"
        "  - {id: base, checkpoint: ckpt/base.pt}\n"
        "  - {id: child, base: base, checkpoint: ckpt/child.pt}\n"
        "  - {id: other, base: base, checkpoint: ckpt/other.pt}\n")
    forest = load_experiment(tmp_path / "exp.yaml").forest
    inspector = make_inspector(InspectorSpec(module="tests.support.tiny", **{"class": "TinyInspector"},
                                             batch_size=32, device="cpu"))
    return Engine(forest, inspector, ResultCache(tmp_path / "cache"), activation_sample=10)


@pytest.mark.parametrize("tensor", ["weights", "activations"])
def test_compute_caches_pairs_and_rebase_reuses_them(engine: Engine, tensor: str):
    models = ["base", "child", "other"]
    assert not layers.ready(engine, models, "base", tensor)
    assert layers.load_summary(engine, models, "base", tensor) is None
    seen = []
    layers.compute(engine, models, "base", tensor, lambda d, t, m: seen.append((d, t)))
    assert seen[-1] == (3, 3) and all(0 <= d <= t for d, t in seen)
    assert layers.ready(engine, models, "base", tensor)
    view = layers.load_summary(engine, models, "base", tensor)
    name = "0.weight" if tensor == "weights" else "0"
    node = view.tree.index[name]
    if tensor == "weights":
        w = torch.load(engine.forest["child"].checkpoint, weights_only=True)["weight"].numpy()
        assert view.field("child", "zeros")[node] == (w == 0).sum() > 0
    else:
        acts = engine.activations("child")["0"]
        assert view.field("child", "n")[node] == acts.size
    tiny.CALLS["load"] = 0
    layers.compute(engine, ["base", "child"], "base", tensor)  # a subset: all cached
    assert tiny.CALLS["load"] == 0
    layers.compute(engine, ["child", "base"], "child", tensor)  # re-base: only new pairs
    assert layers.ready(engine, ["child", "base"], "child", tensor)
    assert not layers.ready(engine, ["child", "other"], "child", tensor)


def test_activations_at_checks_rows(engine: Engine):
    from backend.inference.protocol import InspectorError

    with pytest.raises(InspectorError, match=r"instance rows must be in 0\.\.99"):
        engine.activations_at("base", np.asarray([100]))


def test_compute_instance_uses_engine_rows(engine: Engine):
    models = ["base", "child"]
    assert not layers.instance_ready(engine, models, 5)
    result = layers.compute_instance(engine, models, "base", 5)
    assert layers.instance_ready(engine, models, 5)
    acts = engine.activations_at("child", np.asarray([5]))["0"]
    assert acts.shape == (1, tiny.CLASSES)
    assert layers.load_instance(engine, models, "base", 5).distances == result.distances
    assert result.first["child"] == ("0" if result.distances["child"][0] > layers.DIVERGENCE_THRESHOLD else None)
