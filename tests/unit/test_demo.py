"""The embedded demo: real models whose metrics tell a true compression story."""

from __future__ import annotations

import torch

from backend.demo.data import load_splits
from backend.demo.model import load_checkpoint


def test_demo_has_real_variants(demo_experiment):
    f = demo_experiment.forest
    assert len(f) >= 9 and f.roots == ["cnn"]
    ops = {m.operation.name for m in f if m.operation}
    assert {"train", "magnitude prune", "quantize", "fine-tune"} <= ops
    for m in f:
        assert m.checkpoint is not None and m.checkpoint.is_file()
        assert set(m.metrics) == {"Accuracy", "Latency", "Model Size", "Sparsity"}


def test_demo_metrics_are_measured_not_made_up(demo_experiment):
    f = demo_experiment.forest
    acc = {m.id: m.metrics["Accuracy"] for m in f}
    assert acc["cnn"] > 0.95
    assert acc["cnn-prune90"] < acc["cnn"] - 0.05  # heavy pruning hurts ...
    assert acc["cnn-prune90-ft"] > acc["cnn-prune90"] + 0.05  # ... and fine-tuning recovers
    assert abs(f["cnn-prune90"].metrics["Sparsity"] - 0.9) < 0.01
    size = {m.id: m.metrics["Model Size"] for m in f}
    assert size["cnn-int8"] < 0.5 * size["cnn"]  # int8 weights shrink the saved state
    assert size["cnn-prune90"] < size["cnn-prune30"] < size["cnn"]  # zeros compress away


def test_checkpoint_reproduces_recorded_accuracy(demo_experiment):
    _, test = load_splits()
    for mid in ("cnn", "cnn-int8", "cnn-prune90"):
        model = load_checkpoint(demo_experiment.forest[mid].checkpoint)
        with torch.inference_mode():
            acc = float((model(test.x).argmax(1) == test.y).float().mean())
        assert abs(acc - demo_experiment.forest[mid].metrics["Accuracy"]) < 1e-9


def test_demo_is_reused_not_rebuilt(demo_cache, demo_experiment):
    from backend.loader import load_experiment
    from tests.conftest import REPO

    before = demo_experiment.models_path.stat().st_mtime_ns
    logs: list[str] = []
    load_experiment(REPO / "configs" / "demo.yaml", cache_dir=demo_cache, log=logs.append)
    assert logs == [] and demo_experiment.models_path.stat().st_mtime_ns == before
