"""A one-model digits demo (a small CNN trained for two epochs) with the demo's launcher enabled.

Why not the session's built demo: launch tests append models, and the full build takes minutes;
this folder is theirs alone and is written in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import torch

from backend.demo.build import TRAIN_LR, DemoBuilder
from backend.demo.model import build_architecture
from backend.demo.train import fit

CONFIG = """\
name: Digits demo (launch test)
models: models.yaml
inspector: {module: backend.demo.inspector, class: DemoInspector, device: cpu}
launch: {module: backend.demo.launcher, class: DemoLauncher}
"""


def write_mini_demo(folder: Path, epochs: int = 2) -> Path:
    """Write ``folder/models.yaml`` (one trained root, ``cnn``) and return ``folder/demo.yaml``."""
    folder.mkdir(parents=True, exist_ok=True)
    models = folder / "models.yaml"
    builder = DemoBuilder(models, lambda _line: None)
    torch.manual_seed(0)
    net = fit(build_architecture("small-cnn"), builder.train, epochs, TRAIN_LR, seed=0)
    builder.record("cnn", "Small CNN", None, "train", {"epochs": epochs, "architecture": "small-cnn"}, net)
    builder.write(models)
    config = folder / "demo.yaml"
    config.write_text(CONFIG)
    return config
