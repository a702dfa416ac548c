"""Real compression operations on the demo network: pruning, int8 quantisation, fine-tuning."""

from __future__ import annotations

import copy

import torch
from torch import nn

from backend.demo.model import prunable


def magnitude_masks(model: nn.Module, amount: float, scope: str = "global") -> dict[str, torch.Tensor]:
    """Keep-masks that zero the ``amount`` fraction of smallest |w|, globally or per layer."""
    weights = prunable(model)
    if scope == "layer":
        masks = {}
        for name, w in weights.items():
            k = int(round(amount * w.numel()))
            threshold = w.detach().abs().flatten().kthvalue(k).values if k > 0 else -1.0
            masks[name] = (w.detach().abs() > threshold).float()
        return masks
    flat = torch.cat([w.detach().abs().flatten() for w in weights.values()])
    k = int(round(amount * flat.numel()))
    threshold = flat.kthvalue(k).values if k > 0 else -1.0
    return {name: (w.detach().abs() > threshold).float() for name, w in weights.items()}


def apply_masks(model: nn.Module, masks: dict[str, torch.Tensor]) -> nn.Module:
    """A copy of ``model`` with masked weights set to exactly zero."""
    out = copy.deepcopy(model)
    params = dict(out.named_parameters())
    with torch.no_grad():
        for name, mask in masks.items():
            params[name].mul_(mask)
    return out


def current_masks(model: nn.Module) -> dict[str, torch.Tensor]:
    """Masks of the weights that are non-zero now (fine-tuning keeps pruned weights at zero)."""
    return {name: (w.detach() != 0).float() for name, w in prunable(model).items()}


def quantize_int8_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """State dict with conv/linear weights as int8 plus one float scale per output channel.

    Symmetric per-channel quantisation of the weights (activations stay float): the size shrinks
    about 4× and the accuracy reflects the real rounding error.
    """
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for name in prunable(model):
        w = state.pop(name)
        flat = w.flatten(1)
        scale = flat.abs().amax(dim=1).clamp_min(1e-12) / 127.0
        q = torch.round(flat / scale[:, None]).clamp(-127, 127).to(torch.int8)
        state[f"{name}.int8"] = q.view_as(w)
        state[f"{name}.scale"] = scale
    return state


def sparsity(model: nn.Module) -> float:
    """Fraction of exactly-zero values among the prunable weights."""
    weights = prunable(model).values()
    zeros = sum(int((w == 0).sum()) for w in weights)
    return zeros / sum(w.numel() for w in prunable(model).values())
