"""Training, fine-tuning and measurement of the demo networks (CPU, one thread).

One intra-op thread: these networks are so small that a second thread gains ~25 % on an idle
machine but, when other processes compete for the cores, its barrier waits make training up
to ten times slower; one thread keeps the build time predictable (and results reproducible).
"""

from __future__ import annotations

import io
import statistics
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

from backend.demo.data import CLASS_NAMES, Split

BATCH = 64
TRAIN_THREADS = 1


@contextmanager
def threads(n: int) -> Iterator[None]:
    """Run a block with at most ``n`` intra-op threads, then restore the previous setting.

    Never more than the process already has: parallel workers set to one thread stay at one.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(min(n, before))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def fit(model: nn.Module, data: Split, epochs: int, lr: float, seed: int,
        masks: dict[str, torch.Tensor] | None = None,
        log: Callable[[str], None] | None = None, what: str = "train") -> nn.Module:
    """Adam on cross-entropy with a one-cycle schedule, in place; masked weights stay exactly zero.

    Seeded batch order, so the same inputs give the same model on the same machine.
    """
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(data.y) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    params = dict(model.named_parameters())
    model.train()
    with threads(TRAIN_THREADS):
        for epoch in range(epochs):
            order = torch.randperm(len(data.y), generator=gen)
            for start in range(0, len(order), BATCH):
                idx = order[start:start + BATCH]
                opt.zero_grad()
                nn.functional.cross_entropy(model(data.x[idx]), data.y[idx]).backward()
                opt.step()
                sched.step()
                if masks:
                    with torch.no_grad():
                        for name, mask in masks.items():
                            params[name].mul_(mask)
            if log is not None and ((epoch + 1) % 10 == 0 or epoch + 1 == epochs):
                log(f"  {what}: epoch {epoch + 1}/{epochs}")
    return model.eval()


@torch.inference_mode()
def predict(model: nn.Module, data: Split) -> torch.Tensor:
    """Predicted class of every image (one batch: the sets are small), with the training threads."""
    with threads(TRAIN_THREADS):
        return model(data.x).argmax(1)


def accuracies(pred: torch.Tensor, data: Split) -> tuple[float, list[float]]:
    """Top-1 accuracy and the accuracy on each class."""
    ok = (pred == data.y).double()
    per_class = [float(ok[data.y == c].mean()) for c in range(len(CLASS_NAMES))]
    return float(ok.mean()), per_class


@torch.inference_mode()
def latency_ms(model: nn.Module, data: Split, runs: int = 40, warmup: int = 5) -> tuple[float, float]:
    """Mean and standard deviation of one forward pass on a batch of 64, one CPU thread."""
    batch = data.x[:BATCH]
    times = []
    with threads(1):
        for _ in range(warmup):
            model(batch)
        for _ in range(runs):
            t0 = time.perf_counter()
            model(batch)
            times.append(time.perf_counter() - t0)
    return statistics.fmean(times) * 1e3, statistics.stdev(times) * 1e3


def size_bytes(state: dict[str, torch.Tensor]) -> int:
    """Bytes of the saved state after zlib compression, so pruned zeros and int8 both shrink it."""
    buf = io.BytesIO()
    torch.save(state, buf)
    return len(zlib.compress(buf.getvalue(), 6))


def sparsity(model: nn.Module) -> float:
    """Fraction of exactly-zero values among all parameters (weights, biases, normalization)."""
    params = list(model.parameters())
    return sum(int((p == 0).sum()) for p in params) / sum(p.numel() for p in params)
