"""Measure a saved model exactly as the app will load and run it: F1 and exact match through the
Hugging Face inspector, latency, stored size and sparsity.

Why through the inspector: the models file's F1 and exact match must equal what the Behaviors
page computes, so the build loads each folder with ``Seq2SeqInspector`` (int8 folders are
quantized on load there) and generates in the same batches the engine uses.
"""

from __future__ import annotations

import statistics
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from backend.demo.text.train import threads
from backend.experiment.forest import Model
from backend.inference.protocol import EXACT_MATCH_OUTPUT, TEXT_OUTPUT
from backend.inference.torch_base import quantized_weight

EVAL_THREADS = 1
LATENCY_RUNS = 7
LATENCY_WARMUP = 1


def load(inspector: Any, model_id: str, folder: Path) -> nn.Module:
    """The model as the app loads it (quantized on load when the folder is marked)."""
    return inspector.load_model(Model(model_id, None, None, None, {}, folder))


def answers(inspector: Any, loaded: nn.Module) -> dict[str, np.ndarray]:
    """Generated answers, F1 and exact match on every row, in the engine's batches."""
    n = len(inspector.items)
    parts: dict[str, list[np.ndarray]] = {}
    with threads(EVAL_THREADS):
        for start in range(0, n, inspector.batch_size):
            batch = inspector.predict(loaded, np.arange(start, min(n, start + inspector.batch_size)))
            for name, value in batch.items():
                parts.setdefault(name, []).append(value)
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def latency_ms(inspector: Any, loaded: nn.Module) -> tuple[float, float]:
    """Fastest time and standard deviation of answering one batch (tokenise + generate), one thread.

    The fastest run, because other processes on a shared machine make single runs (and even the
    median of a few) slower by up to 2x. Generation stops when every row has emitted </s>, so a
    model that rambles is slower.
    """
    rows = np.arange(min(inspector.batch_size, len(inspector.items)))
    times = []
    with threads(1):
        for run in range(LATENCY_WARMUP + LATENCY_RUNS):
            t0 = time.perf_counter()
            inspector.generate(loaded, rows)
            if run >= LATENCY_WARMUP:
                times.append(time.perf_counter() - t0)
    return min(times) * 1e3, statistics.stdev(times) * 1e3


def stored_tensors(loaded: nn.Module) -> list[torch.Tensor]:
    """Every tensor the loaded model keeps, once: int8 layers as their int8 values (plus float
    biases), every other parameter as stored (a tied matrix counted once)."""
    out: list[torch.Tensor] = []
    seen: set[int] = set()
    for module in loaded.modules():
        weight = quantized_weight(module)
        if weight is not None:
            out.append(weight.int_repr() if weight.is_quantized else weight)
            bias = module.bias() if callable(getattr(module, "bias", None)) else None
            if isinstance(bias, torch.Tensor):
                out.append(bias)
        for param in module.parameters(recurse=False):
            if id(param) not in seen:
                seen.add(id(param))
                out.append(param)
    return out


def size_bytes(loaded: nn.Module) -> int:
    """Bytes of the stored weights after zlib compression: pruned zeros compress away and int8
    layers take one byte per weight."""
    raw = b"".join(t.detach().cpu().contiguous().numpy().tobytes() for t in stored_tensors(loaded))
    return len(zlib.compress(raw, 6))


def sparsity(loaded: nn.Module) -> float:
    """Fraction of exactly-zero stored values (an int8 layer counts its rounded int8 values)."""
    tensors = stored_tensors(loaded)
    return sum(int((t == 0).sum()) for t in tensors) / sum(t.numel() for t in tensors)


def scores(outputs: dict[str, np.ndarray]) -> tuple[float, float]:
    """(F1, exact match) averaged over the rows."""
    return float(np.mean(outputs["f1"])), float(np.mean(outputs[EXACT_MATCH_OUTPUT]))


def generated(outputs: dict[str, np.ndarray]) -> list[str]:
    """The generated answers."""
    return [str(t) for t in outputs[TEXT_OUTPUT]]
