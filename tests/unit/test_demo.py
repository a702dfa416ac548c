"""The embedded demo: its contract (files, checkpoints, data, metrics) on the really built models."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import torch
import yaml

from backend.demo.build import EPOCHS, TRAIN_LR
from backend.demo.catalog import METRICS, class_metric
from backend.demo.data import CLASS_NAMES, RARE_CLASSES, evaluation_set, training_set
from backend.demo.model import build_architecture, load_checkpoint
from backend.demo.train import fit

REQUIRED_OPERATIONS = {
    "train", "global magnitude prune", "layer-wise magnitude prune", "gradient prune", "random prune",
    "quantize", "quantize (calibrated)", "fine-tune", "restore normalization", "restore layer",
    "recalibrate normalization", "channel prune",
}


def _accuracy(model: torch.nn.Module, split, batch: int = 540) -> tuple[float, list[float]]:
    with torch.inference_mode():
        pred = torch.cat([model(split.x[i:i + batch]).argmax(1) for i in range(0, len(split.y), batch)])
    ok = (pred == split.y).double()
    return float(ok.mean()), [float(ok[split.y == c].mean()) for c in range(len(CLASS_NAMES))]


def test_demo_has_the_required_models_and_operations(demo_experiment):
    f = demo_experiment.forest
    assert len(f) >= 40
    assert f.roots == ["cnn", "cnn-large"]
    assert REQUIRED_OPERATIONS <= {m.operation.name for m in f if m.operation}
    names = {spec["name"] for spec in METRICS}
    for m in f:
        assert m.checkpoint is not None and m.checkpoint.is_file(), m.id
        assert set(m.metrics) == names, m.id
        assert all(isinstance(v, bool | int | float | str) for v in m.operation.parameters.values())
    # two architectures, each a root with compressed descendants
    assert len(f.descendants("cnn")) > 40 and len(f.descendants("cnn-large")) > 5
    assert {f["cnn"].operation.parameters["architecture"], f["cnn-large"].operation.parameters["architecture"]} == {
        "small-cnn", "large-cnn"}


def test_models_file_declares_primary_and_secondary_metrics(demo_experiment):
    doc = yaml.safe_load(demo_experiment.models_path.read_text())
    specs = {m["name"]: m for m in doc["metrics"]}
    assert {n for n, s in specs.items() if s["primary"]} == {"Accuracy", "Latency", "Model Size", "Sparsity"}
    assert not specs["Latency Std"]["primary"] and not specs[class_metric(3)]["primary"]
    for spec in specs.values():
        assert {"format", "unit", "min", "max", "higher_is_better", "description"} <= set(spec)
    assert "under-represented" in specs[class_metric(RARE_CLASSES[0])]["description"]
    formats = {op["name"]: op["parameters"] for op in doc["operations"]}
    assert formats["global magnitude prune"]["amount"]["format"] == ".0%"
    assert demo_experiment.models_path.parent.name == "demo-digits-v3"


def test_every_model_records_when_the_build_made_it(demo_experiment):
    """The Model Map's timeline: each model's real creation time, in the order the recipe made
    them (a child after its parent), to the second, within the build's own minutes."""
    f = demo_experiment.forest
    times = [m.created for m in f]
    assert all(t is not None and t.tzinfo is not None and t.microsecond == 0 for t in times)
    assert times == sorted(times)
    assert all(f[m.base].created <= m.created for m in f if m.base is not None)
    assert times[-1] - times[0] < timedelta(hours=1)


def test_checkpoints_are_plain_tensors_and_reproduce_recorded_metrics(demo_experiment):
    test = evaluation_set()
    f = demo_experiment.forest
    for mid in ("cnn", "cnn-int8", "cnn-int8-calib", "cnn-gprune99", "cnn-gprune98-restore-bn",
                "cnn-lprune50-recal-bn", "cnn-iter95-ft-int8-calib", "cnn-large-gprune95-ft",
                "cnn-cprune50-ft"):
        raw = torch.load(f[mid].checkpoint, map_location="cpu", weights_only=True)
        assert isinstance(raw["arch"], str) and all(isinstance(v, torch.Tensor) for v in raw["state"].values())
        model = load_checkpoint(f[mid].checkpoint)
        assert not model.training
        acc, per_class = _accuracy(model, test)
        assert acc == f[mid].metrics["Accuracy"], mid
        assert per_class == [f[mid].metrics[class_metric(c)] for c in range(len(CLASS_NAMES))], mid
        assert _accuracy(model, test, batch=64)[0] == acc, mid  # as the inspector batches them


def test_calibrated_quantization_stores_and_applies_activation_scales(demo_experiment):
    f = demo_experiment.forest
    raw = torch.load(f["cnn-int8-calib"].checkpoint, weights_only=True)["state"]
    assert raw["fc1.weight.int8"].dtype == torch.int8
    assert {k for k in raw if k.endswith(".act_scale")} == {f"{n}.act_scale" for n in ("conv1", "conv2", "fc1", "fc2")}
    calibrated, weights_only = load_checkpoint(f["cnn-int8-calib"].checkpoint), load_checkpoint(f["cnn-int8"].checkpoint)
    assert set(calibrated.activation_scales) == {"conv1", "conv2", "fc1", "fc2"}
    x = evaluation_set().x
    with torch.inference_mode():
        assert not torch.equal(calibrated(x), weights_only(x))  # the activation rounding is applied
        # the image input is quantised to 256 levels of its calibrated range
        scale = calibrated.activation_scales["conv1"]
        assert scale == pytest.approx(1 / 255, rel=1e-6)


def test_metrics_are_measured_not_made_up(demo_experiment):
    f = demo_experiment.forest
    m = {x.id: x.metrics for x in f}
    for amount in (10, 30, 50, 70, 80, 90, 95, 98, 99):
        assert abs(m[f"cnn-gprune{amount}"]["Sparsity"] - amount / 100) < 0.005
    sizes = [m[f"cnn-gprune{a}"]["Model Size"] for a in (10, 30, 50, 70, 80, 90, 95, 98, 99)]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] < m["cnn"]["Model Size"]  # zeros compress
    assert m["cnn-int8"]["Model Size"] < 0.35 * m["cnn"]["Model Size"]
    assert m["cnn-large"]["Model Size"] > 3 * m["cnn"]["Model Size"]
    for x in f:
        assert x.metrics["Latency"] > 0 and x.metrics["Latency Std"] >= 0
        rare = np.mean([x.metrics[class_metric(c)] for c in RARE_CLASSES])
        assert x.metrics["Rare-Class Accuracy"] == pytest.approx(rare)
    assert m["cnn"]["Accuracy"] > 0.95 and m["cnn-large"]["Accuracy"] > 0.95
    assert m["cnn-int8"]["Accuracy"] >= m["cnn"]["Accuracy"] - 0.01


def test_architectures_are_fresh_and_in_eval_mode():
    for arch in ("small-cnn", "large-cnn"):
        net = build_architecture(arch)
        assert not net.training and net(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    with pytest.raises(ValueError, match="unknown demo architecture"):
        build_architecture("resnet")


def test_evaluation_and_training_sets():
    test, again, train = evaluation_set(), evaluation_set(), training_set()
    assert test.x.shape == (540, 1, 8, 8) and test.x.dtype == torch.float32
    assert float(test.x.min()) >= 0 and float(test.x.max()) <= 1 and test.y.dtype == torch.int64
    assert isinstance(test.ids, np.ndarray) and np.issubdtype(test.ids.dtype, np.integer)
    assert np.array_equal(test.ids, again.ids) and torch.equal(test.x, again.x)
    assert len(set(test.ids.tolist())) == 540 and not set(test.ids.tolist()) & set(train.ids.tolist())
    assert min(np.bincount(test.y.numpy())) >= 50  # balanced: per-class accuracy is comparable
    counts = np.bincount(train.y.numpy(), minlength=10)
    for c in range(10):
        if c in RARE_CLASSES:
            assert counts[c] < 30  # a fifth of ~127
        else:
            assert counts[c] > 120
    assert len(CLASS_NAMES) == 10


def test_training_is_deterministic(demo_experiment):
    """Retraining the root with the recipe's seed reproduces its checkpoint bit for bit."""
    torch.manual_seed(0)
    net = fit(build_architecture("small-cnn"), training_set(), EPOCHS["small-cnn"], TRAIN_LR, seed=0)
    saved = torch.load(demo_experiment.forest["cnn"].checkpoint, weights_only=True)["state"]
    for name, value in net.state_dict().items():
        assert torch.equal(value, saved[name]), name


def test_demo_is_reused_not_rebuilt(demo_cache, demo_experiment):
    from backend.experiment.loader import load_experiment
    from tests.conftest import REPO

    before = demo_experiment.models_path.stat().st_mtime_ns
    logs: list[str] = []
    load_experiment(REPO / "configs" / "demo.yaml", cache_dir=demo_cache, log=logs.append)
    assert logs == [] and demo_experiment.models_path.stat().st_mtime_ns == before


def test_a_killed_build_leaves_no_models_file(tmp_path, monkeypatch):
    """Checkpoints come first and the models file last: an interrupted build is rebuilt next time."""
    from backend.demo import build as build_mod

    def boom(b):
        b.train_root("cnn", "small-cnn", seed=0)
        raise KeyboardInterrupt

    monkeypatch.setattr(build_mod, "EPOCHS", {"small-cnn": 1, "large-cnn": 1})
    monkeypatch.setattr(build_mod, "recipe", boom)
    models = tmp_path / "demo" / "models.yaml"
    with pytest.raises(KeyboardInterrupt):
        build_mod.build(models, tmp_path, lambda _m: None)
    assert (tmp_path / "demo" / "checkpoints" / "cnn.pt").is_file()
    assert not models.exists() and not list(models.parent.glob("*.yaml*"))
