"""Behaviors page maths on the server: comparisons against a base, then class means, brushes,
sorting and paging over them, so the browser only ever receives one page of rows.

This module is the public face; the work lives in one module per purpose:
``behavior_compare`` (per-instance comparison vectors, the chunked reduction),
``behavior_data`` (BehaviorData, build_behavior_data), ``behavior_table`` (a query's rows and
their order), ``behavior_query`` (one page, summary, histograms, CSV) and ``behavior_flips``
(disagreement, attribution along the tree, significance).
"""

from __future__ import annotations

import numpy as np

from backend.behaviors.data import CORRECTNESS, BehaviorData, ComparisonResult, build_behavior_data
from backend.behaviors.flips import (
    attribution_by_operation,
    flip_attribution,
    flip_matrix,
    operation_label,
    significance,
    wrong_counts,
)
from backend.behaviors.query import QueryResult, query, rows_csv
from backend.behaviors.rows import BehaviorQuery
from backend.behaviors.significance import accuracy_delta_ci, mcnemar_p
from backend.behaviors.vectors import (
    EPS,
    comparison_vectors,
)


# --- the reference's small helpers (pages/behaviors.py uses model_summary) --------------------------
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


__all__ = [
    "CORRECTNESS", "BehaviorData", "BehaviorQuery", "ComparisonResult", "QueryResult", "accuracy_delta_ci",
    "attribution_by_operation", "build_behavior_data", "comparison_vectors", "flip_attribution",
    "flip_matrix", "kl_divergence", "mcnemar_p", "model_summary", "operation_label", "query", "rows_csv",
    "significance", "wrong_counts",
]
