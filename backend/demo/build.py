"""Build the embedded demo: train, compress, measure, and write the models file.

Everything is real: a CNN trained on digits, magnitude pruning at several sparsities, int8
weight quantisation, fine-tuning after pruning. Metrics are measured on this machine. Runs once;
later starts read the cached models file and checkpoints.
"""

from __future__ import annotations

import io
import os
import statistics
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import torch
import yaml
from torch import nn

from backend.demo.compress import (
    apply_masks,
    current_masks,
    magnitude_masks,
    quantize_int8_state,
    sparsity,
)
from backend.demo.data import Split, load_splits
from backend.demo.model import DigitsCNN, load_checkpoint, save_checkpoint

TRAIN_EPOCHS = 30
FINETUNE_EPOCHS = 8

OPERATIONS = [
    {"name": "train", "parameters": {"epochs": {"format": "d"}}},
    {"name": "magnitude prune", "parameters": {"amount": {"format": ".0%"}, "scope": {}}},
    {"name": "fine-tune", "parameters": {"epochs": {"format": "d"}}},
    {"name": "quantize", "parameters": {"precision": {}}},
]
METRICS = [
    {"name": "Accuracy", "primary": True, "format": ".2%", "min": 0.0, "max": 1.0,
     "higher_is_better": True, "description": "Top-1 accuracy on the 540 held-out digits."},
    {"name": "Latency", "primary": True, "format": ".3~f", "unit": "ms", "min": 0.0,
     "higher_is_better": False,
     "description": "Median time of one forward pass on a batch of 64, one CPU thread."},
    {"name": "Model Size", "primary": True, "format": ".3~s", "unit": "B", "min": 0.0,
     "higher_is_better": False,
     "description": "Bytes of the saved state after zlib compression (pruned zeros shrink)."},
    {"name": "Sparsity", "primary": True, "format": ".1%", "min": 0.0, "max": 1.0,
     "higher_is_better": True, "description": "Fraction of zero conv/linear weights."},
]


def _train(model: nn.Module, data: Split, epochs: int, lr: float,
           masks: dict[str, torch.Tensor] | None, log: Callable[[str], None], what: str) -> None:
    """Adam on cross-entropy; with ``masks``, pruned weights stay exactly zero."""
    gen = torch.Generator().manual_seed(1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    params = dict(model.named_parameters())
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(data.y), generator=gen)
        for start in range(0, len(order), 64):
            idx = order[start:start + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(data.x[idx]), data.y[idx]).backward()
            opt.step()
            if masks:
                with torch.no_grad():
                    for name, mask in masks.items():
                        params[name].mul_(mask)
        if (epoch + 1) % 10 == 0 or epoch + 1 == epochs:
            log(f"  {what}: epoch {epoch + 1}/{epochs}")
    model.eval()


@torch.inference_mode()
def _accuracy(model: nn.Module, data: Split) -> float:
    return float((model(data.x).argmax(1) == data.y).float().mean())


@torch.inference_mode()
def _latency_ms(model: nn.Module, data: Split, runs: int = 30) -> float:
    batch = data.x[:64]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(5):
            model(batch)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            model(batch)
            times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    return statistics.median(times) * 1e3


def _size_bytes(state: dict[str, torch.Tensor]) -> int:
    buf = io.BytesIO()
    torch.save(state, buf)
    return len(zlib.compress(buf.getvalue(), 6))


def build(models_path: Path, cache_dir: Path, log: Callable[[str], None]) -> None:
    """Train and compress the demo models; write checkpoints and ``models_path`` atomically."""
    del cache_dir  # everything lives next to the models file
    t_start = time.perf_counter()
    torch.manual_seed(0)
    train, test = load_splits()
    ckpt_dir = models_path.parent / "checkpoints"
    entries: list[dict] = []

    def record(mid: str, model: nn.Module, base: str | None, op: dict,
               state: dict[str, torch.Tensor] | None = None) -> None:
        state = state if state is not None else {k: v.detach().clone()
                                                 for k, v in model.state_dict().items()}
        save_checkpoint(state, ckpt_dir / f"{mid}.pt")
        evaluated = load_checkpoint(ckpt_dir / f"{mid}.pt")  # measure what was saved
        metrics = {"Accuracy": _accuracy(evaluated, test),
                   "Latency": _latency_ms(evaluated, test),
                   "Model Size": float(_size_bytes(state)),
                   "Sparsity": sparsity(evaluated)}
        params = ", ".join(f"{k}: {v}" for k, v in op["parameters"].items())
        entries.append({"id": mid, "tag": f"{op['name'].title()} ({params})", "base": base,
                        "operation": op, "metrics": metrics,
                        "checkpoint": f"checkpoints/{mid}.pt"})
        log(f"demo: {len(entries):>2} models  {mid:<22} accuracy {metrics['Accuracy']:.3f}  "
            f"sparsity {metrics['Sparsity']:.2f}  ({time.perf_counter() - t_start:.0f} s)")

    log(f"demo: training the base CNN on digits ({len(train.y)} train, {len(test.y)} test images)")
    base = DigitsCNN()
    _train(base, train, TRAIN_EPOCHS, 3e-3, None, log, "train")
    record("cnn", base, None, {"name": "train", "parameters": {"epochs": TRAIN_EPOCHS}})
    record("cnn-int8", base, "cnn", {"name": "quantize", "parameters": {"precision": "int8"}},
           quantize_int8_state(base))
    pruned: dict[float, nn.Module] = {}
    for amount in (0.3, 0.5, 0.7, 0.9):
        pruned[amount] = apply_masks(base, magnitude_masks(base, amount, "global"))
        record(f"cnn-prune{int(amount * 100)}", pruned[amount], "cnn",
               {"name": "magnitude prune", "parameters": {"amount": amount, "scope": "global"}})
    record("cnn-prune50-int8", pruned[0.5], "cnn-prune50",
           {"name": "quantize", "parameters": {"precision": "int8"}},
           quantize_int8_state(pruned[0.5]))
    for amount in (0.7, 0.9):
        tuned = apply_masks(pruned[amount], {})
        _train(tuned, train, FINETUNE_EPOCHS, 1e-3, current_masks(tuned), log, "fine-tune")
        mid = f"cnn-prune{int(amount * 100)}-ft"
        record(mid, tuned, f"cnn-prune{int(amount * 100)}",
               {"name": "fine-tune", "parameters": {"epochs": FINETUNE_EPOCHS}})
        if amount == 0.9:
            record(f"{mid}-int8", tuned, mid,
                   {"name": "quantize", "parameters": {"precision": "int8"}},
                   quantize_int8_state(tuned))
    doc = {"name": "Digits demo", "operations": OPERATIONS, "metrics": METRICS, "models": entries}
    tmp = models_path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False))
    os.replace(tmp, models_path)
    log(f"demo: built {len(entries)} models in {time.perf_counter() - t_start:.1f} s "
        f"-> {models_path}")
