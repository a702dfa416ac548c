"""Tiny real torch inspectors used by the tests (a linear classifier on seeded random data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from backend.experiment.forest import Model
from backend.inference import EvalDataset, RenderedInstance
from backend.inference.torch_base import TorchInspector

N, FEATURES, CLASSES = 100, 6, 3
CALLS = {"load": 0}


def inputs_tensor() -> torch.Tensor:
    """The fixed evaluation inputs."""
    return torch.from_numpy(np.random.default_rng(0).normal(size=(N, FEATURES)).astype(np.float32))


def save_linear(path, seed: int) -> None:
    """A checkpoint of a seeded linear layer (plain tensors, weights-only loadable)."""
    torch.manual_seed(seed)
    torch.save(nn.Linear(FEATURES, CLASSES).state_dict(), path)


class TinyInspector(TorchInspector):
    """A linear classifier per checkpoint; counts loads so tests can see cache hits."""

    def dataset(self) -> EvalDataset:
        labels = np.random.default_rng(1).integers(0, CLASSES, size=N)
        return EvalDataset(np.arange(N), labels, ["a", "b", "c"], "text")

    def build_module(self, model: Model, checkpoint: Any) -> nn.Module:
        CALLS["load"] += 1
        module = nn.Linear(FEATURES, CLASSES)
        module.load_state_dict(checkpoint)
        return nn.Sequential(module)  # a named leaf module ("0") for activations

    def inputs(self, indices: np.ndarray) -> torch.Tensor:
        return inputs_tensor()[torch.as_tensor(indices)]

    def render_instance(self, index: int) -> RenderedInstance:
        return RenderedInstance("text/plain", f"instance {index}")


class WrongShapeInspector(TinyInspector):
    """Returns one row too few: the engine must name the model in its error."""

    def outputs(self, raw: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": raw[:-1], "probs": torch.softmax(raw, -1)[:-1]}


class WrongClassesInspector(TinyInspector):
    """Declares 4 classes while the model outputs 3."""

    def dataset(self) -> EvalDataset:
        ds = super().dataset()
        return EvalDataset(ds.ids, ds.labels, ["a", "b", "c", "d"], "text")


class NotAnInspector:
    """A class that does not subclass Inspector."""


def tiny_forest(folder: Path):
    """base -> child, other (real tiny checkpoints) and nockpt (its checkpoint is missing)."""
    from backend.experiment.loader import load_experiment

    ckpts = folder / "ckpt"
    ckpts.mkdir()
    for i, mid in enumerate(["base", "child", "other"]):
        save_linear(ckpts / f"{mid}.pt", seed=i)
    (folder / "exp.yaml").write_text(
        "name: tiny\nmodels:\n"
        "  - {id: base, checkpoint: ckpt/base.pt}\n"
        "  - {id: child, base: base, checkpoint: ckpt/child.pt}\n"
        "  - {id: other, base: base, checkpoint: ckpt/other.pt}\n"
        "  - {id: nockpt, base: base, checkpoint: ckpt/missing.pt}\n")
    return load_experiment(folder / "exp.yaml").forest
