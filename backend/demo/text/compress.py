"""Real compression operations on the demo's T5: magnitude pruning (global, per layer, by part),
restoring the normalization layers, and the masks that keep pruned weights at zero.

Why these: they are the paper's T5 case study (global pruning that reaches the layer norms, the
per-layer pruning that spares them, restoring them, pruning attention or feed-forward only).
Every function returns a new model; the input model is never changed.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from backend.demo.compress import (  # noqa: F401  (the same masks and global pruning)
    Masks,
    apply_masks,
    global_magnitude_masks,
    keep_top,
    zero_masks,
)

ATTENTION = ("SelfAttention.", "EncDecAttention.")
FEEDFORWARD = ("DenseReluDense.",)


def is_normalization(name: str) -> bool:
    """T5's RMS layer norms (``layer_norm``, ``final_layer_norm``): one gain per feature."""
    return "layer_norm" in name


def is_weight_matrix(name: str, param: torch.Tensor) -> bool:
    """A Linear weight or the shared embedding: what per-layer pruning prunes.

    Normalization gains and the relative position-bias tables are left out: they are tiny and
    every token's computation depends on them.
    """
    return param.dim() == 2 and not is_normalization(name) and "relative_attention_bias" not in name


def layerwise_magnitude_masks(model: nn.Module, amount: float) -> Masks:
    """Drop the smallest ``amount`` of each weight matrix separately; normalization untouched."""
    masks: Masks = {}
    for name, p in model.named_parameters():
        if is_weight_matrix(name, p):
            masks.update(keep_top({name: p.detach().abs()}, amount))
    return masks


def part_masks(model: nn.Module, amount: float, part: str) -> Masks:
    """Drop the smallest ``amount`` of the ``part``'s weights ('attention' or 'feedforward'),
    ranked over that part of every block; everything else untouched."""
    keys = {"attention": ATTENTION, "feedforward": FEEDFORWARD}[part]
    return keep_top({n: p.detach().abs() for n, p in model.named_parameters()
                      if any(k in n for k in keys) and is_weight_matrix(n, p)}, amount)


def restore_normalization(pruned: nn.Module, original: nn.Module) -> nn.Module:
    """A copy of ``pruned`` whose layer-norm gains are ``original``'s again (the paper's repair)."""
    out = copy.deepcopy(pruned)
    src = dict(original.named_parameters())
    with torch.no_grad():
        for name, p in out.named_parameters():
            if is_normalization(name):
                p.copy_(src[name])
    return out


def zeroed_normalization(model: nn.Module) -> tuple[int, int]:
    """(zero, total) layer-norm gains: did pruning reach the normalization layers?"""
    norms = [p for n, p in model.named_parameters() if is_normalization(n)]
    return sum(int((p == 0).sum()) for p in norms), sum(p.numel() for p in norms)
