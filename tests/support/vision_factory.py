"""A tiny CNN factory that ``ImageClassifierInspector``'s tests name in ``architecture``."""

from __future__ import annotations

from torch import nn


def tiny_cnn(num_classes: int = 3, in_channels: int = 3) -> nn.Module:
    """Conv → BatchNorm → ReLU → 2×2 average pool → Linear: parameters, buffers, leaf modules."""
    return nn.Sequential(nn.Conv2d(in_channels, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, num_classes))


def not_a_module(num_classes: int = 3) -> str:
    """A factory that returns something else: refused in one line."""
    return f"{num_classes} classes"
