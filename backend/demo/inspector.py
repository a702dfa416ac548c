"""``DemoInspector``: the digits demo through the plug-in API (images, predictions, layers)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import torch
from torch import nn

from backend.demo import data
from backend.demo.model import load_checkpoint
from backend.experiment.forest import Model
from backend.inference import ComparisonSpec, EvalDataset, InspectorError, RenderedInstance
from backend.inference.png import encode_png
from backend.inference.torch_base import TorchInspector


class DemoInspector(TorchInspector):
    """Predictions, weights and activations of the demo's digit classifiers."""

    version = "1"

    @cached_property
    def _split(self) -> data.Split:
        return data.evaluation_set()

    def dataset(self) -> EvalDataset:
        """The demo's held-out digits, ids = row numbers in scikit-learn's digits."""
        split = self._split
        return EvalDataset(ids=np.asarray(split.ids), labels=split.y.numpy(),
                           class_names=list(data.CLASS_NAMES), kind="image",
                           # numpy, not torch: the web process must never enter a torch (OpenMP)
                           # parallel region, or the background jobs it forks deadlock in theirs.
                           content_digest=str(float(split.x.numpy().astype(np.float64).sum())))

    def read_checkpoint(self, model: Model) -> Any:
        """The demo's checkpoints are resolved by ``load_checkpoint`` (weights only)."""
        if model.checkpoint is None or not model.checkpoint.is_file():
            raise InspectorError(f"model '{model.id}': checkpoint not found: {model.checkpoint}")
        return model.checkpoint

    def build_module(self, model: Model, checkpoint: Any) -> nn.Module:
        """Rebuild the network (float, int8 entries dequantised) from its checkpoint file."""
        return load_checkpoint(checkpoint)

    def inputs(self, indices: np.ndarray) -> torch.Tensor:
        """(B, 1, 8, 8) float images of the requested rows."""
        return self._split.x[torch.as_tensor(indices, dtype=torch.long)]

    def render_instance(self, index: int) -> RenderedInstance:
        """An 8×8 digit as a 64×64 PNG, dark ink on white."""
        image = self._split.x[int(index), 0].numpy()
        pixels = (255 - np.clip(image, 0, 1) * 255).astype(np.uint8)
        return RenderedInstance("image/png", encode_png(pixels, scale=8))

    def comparisons(self) -> list[ComparisonSpec]:
        """What the Behaviors page offers on the digits."""
        return [
            ComparisonSpec("Confidence in base prediction", "difference_argmax", "probs",
                           {"format": ".1%"}),
            ComparisonSpec("KL divergence", "kl_divergence", "probs", {"format": ".3f"}),
            ComparisonSpec("Class probabilities (MSE)", "mse", "probs", {"format": ".2e"}),
        ]
