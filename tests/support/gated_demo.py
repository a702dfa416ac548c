"""The demo's inspector with a gate: predicting a model named in the gate file waits there.

Why: a real predictions job on the demo takes well under a second per model, too short to press
Cancel in at a known moment. With the gate, the job computes the models before the named one,
then stops after that model's first batch (its partial outputs only in memory) until the gate
file is removed or no longer names it. A test can so cancel a job that is really running, at a
known point, and check what it left in the cache. Its identity differs from ``DemoInspector``'s,
so its cache entries never mix with the demo's.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from torch import nn

from backend.demo.inspector import DemoInspector

POLL_S = 0.05


class GatedDemoInspector(DemoInspector):
    """``DemoInspector`` whose ``predict`` waits while ``options['gate']`` names the model."""

    def _held(self, model_id: str) -> bool:
        gate = Path(self.options["gate"])
        try:
            return gate.read_text().strip() == model_id
        except FileNotFoundError:
            return False

    def predict(self, loaded: nn.Module, indices: np.ndarray) -> dict[str, np.ndarray]:
        """The demo's predictions; from the named model's second batch on, wait at the gate."""
        model_id = getattr(loaded, "_cc_model_id", "")  # set by TorchInspector.load_model
        if len(indices) and int(indices[0]) > 0:
            while self._held(model_id):
                time.sleep(POLL_S)
        return super().predict(loaded, indices)
