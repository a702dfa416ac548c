"""A tiny inspector a test can hold mid-computation, and that logs every model it loads.

Options: ``hold`` (while this file exists, ``predict`` writes its pid to ``pid_file`` and
waits), ``loads`` (a file that gets one line per model load, in any process).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from backend.experiment.forest import Model
from tests.support.tiny import TinyInspector


class HoldingInspector(TinyInspector):
    """TinyInspector that can be paused from outside, with a cross-process load log."""

    def build_module(self, model: Model, checkpoint: Any) -> nn.Module:
        if self.options.get("loads"):
            with open(self.options["loads"], "a") as fh:
                fh.write(f"{model.id} {os.getpid()}\n")
        return super().build_module(model, checkpoint)

    def predict(self, loaded: nn.Module, indices: np.ndarray) -> dict[str, np.ndarray]:
        hold = self.options.get("hold")
        if hold and Path(hold).exists() and indices[0] > 0:  # one batch done: mid-computation
            Path(self.options["pid_file"]).write_text(str(os.getpid()))
            deadline = time.monotonic() + 120
            while Path(hold).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return super().predict(loaded, indices)
