"""Shared data and the float64 reference for the Behaviors maths tests (test_behaviors_*.py).

Why a plain module, not conftest fixtures: the tests call ``make_data`` with different sizes
and memberships, and the property tests reuse ``reference`` directly.
"""

from __future__ import annotations

import numpy as np

from backend.behaviors import build_behavior_data
from backend.inference.protocol import ComparisonSpec

EPS = 1e-6
MODELS = ("base", "m1", "m2")
CLASSES = ("cat", "dog", "emu", "ant")


def reference(kind: str, outputs) -> tuple[np.ndarray, np.ndarray | None]:
    """Spec §2.4's table, written the obvious way in float64 numpy."""
    b = np.asarray(outputs[0], dtype=np.float64).reshape(len(outputs[0]), -1)
    diffs, values = [], []
    for o in outputs:
        m = np.asarray(o, dtype=np.float64).reshape(len(o), -1)
        at = m[np.arange(len(m)), b.argmax(axis=1)]
        top = b.max(axis=1)
        valid = b >= 0
        agree = np.where(valid.any(axis=1), ((m == b) & valid).sum(axis=1) / np.maximum(valid.sum(axis=1), 1), 1.0)
        d, v = {
            "difference": (np.mean(m - b, axis=1), np.mean(m, axis=1)),
            "abs_difference": (np.abs(np.mean(m - b, axis=1)), np.mean(m, axis=1)),
            "difference_argmax": (at - top, at),
            "abs_difference_argmax": (np.abs(at - top), at),
            "ratio": (np.mean(m / (b + EPS), axis=1), np.mean(m, axis=1)),
            "ratio_argmax": (at / (top + EPS), at),
            "mse": (np.mean((m - b) ** 2, axis=1), None),
            "kl_divergence": (np.maximum((b * np.log2((b + EPS) / (m + EPS))).sum(axis=1), 0), None),
            "agreement": (agree, None),
        }[kind]
        diffs.append(d)
        values.append(v)
    return np.array(diffs), None if values[0] is None else np.array(values)


def probs(rng: np.random.Generator, n: int, c: int, k: int, dtype=np.float32) -> list[np.ndarray]:
    return [rng.dirichlet(np.ones(c) * 0.7, size=n).astype(dtype) for _ in range(k)]


def make_data(n: int = 60, seed: int = 0, members=None, specs=None):
    rng = np.random.default_rng(seed)
    outs = probs(rng, n, len(CLASSES), len(MODELS))
    labels = rng.integers(0, len(CLASSES), size=n)
    specs = specs if specs is not None else [ComparisonSpec("Top prob", "difference_argmax", "probs"),
                                             ComparisonSpec("KL", "kl_divergence", "probs"),
                                             ComparisonSpec("MSE", "mse", "probs")]
    outputs = {m: {"logits": np.log(o), "probs": o} for m, o in zip(MODELS, outs, strict=True)}
    data = build_behavior_data(MODELS, outputs, labels, CLASSES, np.arange(100, 100 + n), specs, members=members)
    return data, outs, labels
