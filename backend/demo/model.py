"""The demo's two networks and their checkpoint format (plain tensors, loadable with weights_only).

A checkpoint is ``{"arch": name, "state": {name: tensor}}``. Besides a plain float state dict it
may hold int8 weights (``<param>.int8`` with a per-output-channel ``<param>.scale``) and
calibrated activation scales (``<module>.act_scale``): ``load_checkpoint`` dequantises the
weights and re-applies the same activation fake-quantisation in forward, so the rebuilt module
predicts exactly what the recorded metrics were measured on. A channel-pruned network is
narrower; its widths are read back from the state's shapes, so the format stays the same.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)
WEIGHT_TYPES = (nn.Conv2d, nn.Linear)
ACT_SUFFIX = ".act_scale"
POOLED_POSITIONS = 16  # 4×4 after max-pooling an 8×8 image: fc1 reads channel c at columns 16c…16c+15


class SmallCNN(nn.Module):
    """conv 16 → conv 32 (BatchNorm each) → maxpool → linear 512→64 → linear 64→10 (38 k params).

    The widths are arguments so that channel pruning can build the narrower network; the
    defaults are the trained demo's.
    """

    #: The layers in forward order: (layer, the BatchNorm after it or None, the constructor
    #: argument that sets its output width or None). ``module_from_state`` reads the widths back
    #: from a state's shapes; channel pruning walks this chain.
    LAYERS: tuple[tuple[str, str | None, str | None], ...] = (
        ("conv1", "bn1", "c1"), ("conv2", "bn2", "c2"), ("fc1", None, "hidden"), ("fc2", None, None))

    def __init__(self, c1: int = 16, c2: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(c2)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(c2 * POOLED_POSITIONS, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of (N, 1, 8, 8) images."""
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.pool(torch.relu(self.bn2(self.conv2(x))))
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


class LargeCNN(nn.Module):
    """conv 32 → conv 64 → maxpool → conv 64 (BatchNorm each) → linear 1024→128 → 128→10 (190 k)."""

    LAYERS: tuple[tuple[str, str | None, str | None], ...] = (
        ("conv1", "bn1", "c1"), ("conv2", "bn2", "c2"), ("conv3", "bn3", "c3"), ("fc1", None, "hidden"),
        ("fc2", None, None))

    def __init__(self, c1: int = 32, c2: int = 64, c3: int = 64, hidden: int = 128) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(c2)
        self.pool = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(c2, c3, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(c3)
        self.fc1 = nn.Linear(c3 * POOLED_POSITIONS, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of (N, 1, 8, 8) images."""
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.pool(torch.relu(self.bn2(self.conv2(x))))
        x = torch.relu(self.bn3(self.conv3(x)))
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


ARCHITECTURES: dict[str, type[SmallCNN] | type[LargeCNN]] = {"small-cnn": SmallCNN, "large-cnn": LargeCNN}


def build_architecture(arch: str, **widths: int) -> nn.Module:
    """A fresh, untrained network of the named architecture (default or given widths), in eval mode."""
    try:
        cls = ARCHITECTURES[arch]
    except KeyError:
        raise ValueError(f"unknown demo architecture {arch!r}; known: {sorted(ARCHITECTURES)}") from None
    return cls(**widths).eval()


def widths_from_state(arch: str, state: dict[str, torch.Tensor]) -> dict[str, int]:
    """The constructor widths a float state was saved from, read off its weights' output sizes.

    Why: a channel-pruned network is narrower, and the checkpoint stays ``{"arch", "state"}``.
    """
    layers = ARCHITECTURES[arch].LAYERS if arch in ARCHITECTURES else ()
    return {arg: int(state[f"{layer}.weight"].shape[0]) for layer, _, arg in layers
            if arg is not None and f"{layer}.weight" in state}


def weight_layer_parameters(model: nn.Module) -> dict[str, nn.Parameter]:
    """Parameters of the conv and linear layers (weights and biases): no normalization layers."""
    return {f"{mod_name}.{p_name}": p for mod_name, mod in model.named_modules()
            if isinstance(mod, WEIGHT_TYPES) for p_name, p in mod.named_parameters(recurse=False)}


def quantizable(model: nn.Module) -> dict[str, nn.Parameter]:
    """Weight matrices of conv and linear layers: what int8 weight quantisation stores as int8."""
    return {f"{name}.weight": mod.weight for name, mod in model.named_modules()
            if isinstance(mod, WEIGHT_TYPES)}


def fake_quant_uint8(x: torch.Tensor, scale: float) -> torch.Tensor:
    """Round a non-negative activation to one of 256 levels of ``scale`` (zero point 0)."""
    return torch.clamp(torch.round(x / scale), 0, 255) * scale


def attach_activation_quant(model: nn.Module, scales: dict[str, float]) -> nn.Module:
    """Fake-quantise the input of each named conv/linear module with its calibrated scale."""
    modules = dict(model.named_modules())
    for name, scale in scales.items():
        modules[name].register_forward_pre_hook(
            lambda _mod, args, s=scale: (fake_quant_uint8(args[0], s), *args[1:]))
    model.activation_scales = dict(scales)
    return model


def save_checkpoint(arch: str, state: dict[str, torch.Tensor], path: Path) -> None:
    """Write ``{"arch", "state"}`` atomically (a killed build leaves no half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save({"arch": arch, "state": {k: v.detach().clone() for k, v in state.items()}}, tmp)
    tmp.replace(path)


def module_from_state(arch: str, raw: dict[str, torch.Tensor]) -> nn.Module:
    """Rebuild a float module: dequantise int8 weights, re-attach activation fake-quantisation."""
    state: dict[str, torch.Tensor] = {}
    act_scales: dict[str, float] = {}
    for key, value in raw.items():
        if key.endswith(".int8"):
            name = key[: -len(".int8")]
            scale = raw[f"{name}.scale"]
            state[name] = value.float() * scale.view(-1, *([1] * (value.dim() - 1)))
        elif key.endswith(ACT_SUFFIX):
            act_scales[key[: -len(ACT_SUFFIX)]] = float(value)
        elif not key.endswith(".scale"):
            state[key] = value
    model = build_architecture(arch, **widths_from_state(arch, state))
    model.load_state_dict(state)
    if act_scales:
        attach_activation_quant(model, act_scales)
    return model.eval()


def load_checkpoint(path: Path) -> nn.Module:
    """The checkpoint's network on CPU in eval mode, predicting exactly as when it was measured."""
    raw = torch.load(path, map_location="cpu", weights_only=True)
    return module_from_state(raw["arch"], raw["state"])
