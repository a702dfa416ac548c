"""Digits data (bundled with scikit-learn, no download), split deterministically.

Two classes are deliberately under-represented in training (only a fifth of their training
images are kept) so that compression's disparate impact on rare classes can be studied; the
evaluation set keeps the natural, balanced class mix so per-class accuracies are comparable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, train_test_split

SEED = 0
CLASS_NAMES = [str(i) for i in range(10)]
RARE_CLASSES = (3, 8)
RARE_KEEP = 0.2  # fraction of the rare classes' training images that are kept
TEST_SIZE = 0.3


@dataclass(frozen=True)
class Split:
    """Images as float tensors (N, 1, 8, 8) scaled to [0, 1], labels as int64, stable ids."""

    x: torch.Tensor
    y: torch.Tensor
    ids: np.ndarray


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    digits = load_digits()
    return digits.images.astype(np.float32) / 16.0, digits.target.astype(np.int64)


def subset(ids: np.ndarray) -> Split:
    """The images and labels of the given instance ids (row numbers of scikit-learn's digits)."""
    images, labels = _digits()
    ids = np.sort(np.asarray(ids, dtype=np.int64))
    return Split(torch.from_numpy(images[ids]).unsqueeze(1), torch.from_numpy(labels[ids]), ids)


def under_represent(ids: np.ndarray, seed: int, rare: tuple[int, ...] = RARE_CLASSES,
                    keep: float = RARE_KEEP) -> np.ndarray:
    """Drop all but ``keep`` of the ``rare`` classes' ids, chosen with a seeded generator."""
    _, labels = _digits()
    rng = np.random.default_rng(seed)
    dropped: list[np.ndarray] = []
    for cls in rare:
        members = np.sort(ids[labels[ids] == cls])
        n_keep = int(round(keep * len(members)))
        dropped.append(rng.permutation(members)[n_keep:])
    return np.setdiff1d(ids, np.concatenate(dropped) if dropped else np.array([], dtype=np.int64))


def _train_test_ids() -> tuple[np.ndarray, np.ndarray]:
    _, labels = _digits()
    ids = np.arange(len(labels))
    train, test = train_test_split(ids, test_size=TEST_SIZE, random_state=SEED, stratify=labels)
    return np.sort(train), np.sort(test)


def training_set() -> Split:
    """The demo's training images: 70 % of digits, with the rare classes cut to a fifth."""
    train, _ = _train_test_ids()
    return subset(under_represent(train, SEED))


def evaluation_set() -> Split:
    """The 540 held-out images (about 54 per class) every demo metric is measured on."""
    return subset(_train_test_ids()[1])


def class_counts(split: Split) -> list[int]:
    """Number of images of each class in a split."""
    return np.bincount(split.y.numpy(), minlength=len(CLASS_NAMES)).tolist()


def cross_validation(folds: int, seed: int) -> Iterator[tuple[Split, Split]]:
    """Stratified folds over all 1797 digits: (under-represented training, balanced held-out)."""
    _, labels = _digits()
    ids = np.arange(len(labels))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(ids, labels):
        yield subset(under_represent(train, seed)), subset(test)
