"""The demo's network and its checkpoint format (plain tensors, loadable with weights_only)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


class DigitsCNN(nn.Module):
    """conv 16 → conv 32 (BatchNorm each) → linear 512→64 → linear 64→10, for 8×8 digits."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(512, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of (N, 1, 8, 8) images."""
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.pool(torch.relu(self.bn2(self.conv2(x))))
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def prunable(model: nn.Module) -> dict[str, nn.Parameter]:
    """Weight matrices of conv and linear layers: what magnitude pruning acts on."""
    return {f"{name}.weight": mod.weight for name, mod in model.named_modules()
            if isinstance(mod, nn.Conv2d | nn.Linear)}


def save_checkpoint(state: dict[str, torch.Tensor], path: Path) -> None:
    """Write a state dict of plain tensors atomically (a killed build leaves no half file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def load_checkpoint(path: Path) -> DigitsCNN:
    """Rebuild a float model from a checkpoint; int8 entries are dequantised (weights only)."""
    raw = torch.load(path, map_location="cpu", weights_only=True)
    state: dict[str, torch.Tensor] = {}
    for key, value in raw.items():
        if key.endswith(".int8"):
            name = key[: -len(".int8")]
            scale = raw[f"{name}.scale"]
            state[name] = value.float() * scale.view(-1, *([1] * (value.dim() - 1)))
        elif not key.endswith(".scale"):
            state[key] = value
    model = DigitsCNN()
    model.load_state_dict(state)
    return model.eval()
