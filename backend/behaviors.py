"""Prediction comparisons between models and a base, computed on the server in float64."""

from __future__ import annotations

import numpy as np

EPS = 1e-6


def kl_divergence(base: np.ndarray, model: np.ndarray) -> np.ndarray:
    """Per-instance KL(base ‖ model) in bits, clipped at 0 (spec §2.4's kl_divergence)."""
    b, m = base.astype(np.float64), model.astype(np.float64)
    return np.maximum((b * np.log2((b + EPS) / (m + EPS))).sum(axis=1), 0.0)


def model_summary(labels: np.ndarray, probs: dict[str, np.ndarray], base: str) -> list[dict]:
    """Per model: accuracy, agreement with the base's predictions, mean KL to the base."""
    base_pred = probs[base].argmax(axis=1)
    rows = []
    for model_id, p in probs.items():
        pred = p.argmax(axis=1)
        rows.append({
            "model": model_id,
            "accuracy": float((pred == labels).mean()),
            "agreement": float((pred == base_pred).mean()),
            "flips": int((pred != base_pred).sum()),
            "kl": float(kl_divergence(probs[base], p).mean()),
        })
    return rows
