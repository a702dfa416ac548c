"""Inspectors built on the tiny real torch inspector, each broken in one way."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from backend.experiment.forest import Model
from backend.inference import EvalDataset, RenderedInstance
from backend.inference.torch_base import TorchInspector
from tests.support.tiny import CLASSES, FEATURES, TinyInspector


class NotAnInspector:
    """Named in a config, but not an Inspector subclass."""


class HalfDone(TorchInspector):
    """Forgot to implement ``inputs`` and ``render_instance``."""

    def dataset(self) -> EvalDataset:
        return EvalDataset(np.arange(3), np.zeros(3, dtype=int), ["a"])

    def build_module(self, model: Model, checkpoint: Any) -> nn.Module:
        return nn.Linear(FEATURES, CLASSES)


class NeedsOption(TinyInspector):
    """Its constructor reads an option the config does not give."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_dir = self.options["data_dir"]


class MissingData(TinyInspector):
    """The evaluation data file is missing."""

    def dataset(self) -> EvalDataset:
        raise FileNotFoundError("eval.npz: no such file (download the evaluation set first)")


class WrongRows(TinyInspector):
    """Returns one row too few per batch."""

    def outputs(self, raw: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": raw[:-1], "probs": torch.softmax(raw, -1)[:-1]}


class WrongClasses(TinyInspector):
    """Declares four classes while the model outputs three."""

    def dataset(self) -> EvalDataset:
        ds = super().dataset()
        return EvalDataset(ds.ids, ds.labels, ["a", "b", "c", "d"], "text")


class ExplodesMidBatch(TinyInspector):
    """The second batch fails once, as a GPU briefly running out of memory would."""

    failed = False

    def predict(self, loaded: nn.Module, indices: np.ndarray) -> dict[str, np.ndarray]:
        if indices[0] > 0 and not self.failed:
            self.failed = True
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore details here")
        return super().predict(loaded, indices)


class WrongArchitecture(TinyInspector):
    """Builds a network whose shapes do not match the checkpoint."""

    def build_module(self, model: Model, checkpoint: Any) -> nn.Module:
        module = nn.Linear(FEATURES + 1, CLASSES)
        module.load_state_dict(checkpoint)
        return module


class WrongInputWidth(TinyInspector):
    """Feeds inputs of the wrong width: the forward pass itself fails."""

    def inputs(self, indices: np.ndarray) -> torch.Tensor:
        return torch.zeros(len(indices), FEATURES - 1)


class ReturnsList(TinyInspector):
    """``predict`` returns a list instead of named arrays."""

    def predict(self, loaded: nn.Module, indices: np.ndarray) -> Any:
        return [np.zeros((len(indices), CLASSES))]


class BrokenRender(TinyInspector):
    """Cannot draw an instance: its image file is gone."""

    def render_instance(self, index: int) -> RenderedInstance:
        raise OSError(f"images/{index}.png: No such file or directory")


class RendersBytes(TinyInspector):
    """Returns raw bytes instead of a RenderedInstance."""

    def render_instance(self, index: int) -> Any:
        return b"\x89PNG..."
