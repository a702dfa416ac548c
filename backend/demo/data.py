"""Digits data (bundled with scikit-learn, no download), split deterministically."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 0
CLASS_NAMES = [str(i) for i in range(10)]


@dataclass(frozen=True)
class Split:
    """Images as float tensors (N, 1, 8, 8) scaled to [0, 1], labels as int64, stable ids."""

    x: torch.Tensor
    y: torch.Tensor
    ids: np.ndarray


def load_splits(test_size: float = 0.3) -> tuple[Split, Split]:
    """Train and test splits, stratified and seeded so every build sees the same data."""
    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0
    ids = np.arange(len(images))
    tr, te = train_test_split(ids, test_size=test_size, random_state=SEED, stratify=digits.target)
    tr, te = np.sort(tr), np.sort(te)

    def make(idx: np.ndarray) -> Split:
        return Split(torch.from_numpy(images[idx]).unsqueeze(1),
                     torch.from_numpy(digits.target[idx].astype(np.int64)), idx)

    return make(tr), make(te)
