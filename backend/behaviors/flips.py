"""Beyond the reference: where models disagree (flip matrix, error counts), which edge of the
tree introduced a model's new errors, and whether accuracy changes are significant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from backend.behaviors.data import BehaviorData
from backend.behaviors.significance import accuracy_delta_ci, mcnemar_p


def flip_matrix(data: BehaviorData, mask: np.ndarray | None = None) -> np.ndarray:
    """(k, k) share of (masked) instances on which models i and j predict different classes."""
    preds = data.predicted if mask is None else data.predicted[:, np.asarray(mask, dtype=bool)]
    k, n = preds.shape
    out = np.zeros((k, k))
    if n == 0:
        return out
    for i in range(k):
        out[i, i + 1:] = (preds[i + 1:] != preds[i]).mean(axis=1)
    return out + out.T


def wrong_counts(data: BehaviorData) -> np.ndarray:
    """(n,) how many of the k models get each instance wrong."""
    return data.wrong


ROOT_LABEL = "(root)"  # a model without an operation is a root of its tree


def operation_label(operation: Any) -> str:
    """'prune (amount=0.9)': the operation that derived a model, with its parameters, as the
    attribution table shows and groups it; ``ROOT_LABEL`` for a model derived by no operation."""
    if operation is None:
        return ROOT_LABEL
    params = dict(getattr(operation, "parameters", None) or {})
    name = getattr(operation, "name", str(operation))
    return f"{name} ({', '.join(f'{k}={v}' for k, v in params.items())})" if params else name


def flip_attribution(path: Sequence[str], operations: Sequence[str], predicted: Sequence[np.ndarray],
                     labels: np.ndarray, correct: Sequence[np.ndarray] | None = None) -> list[dict]:
    """Which edge of a root→model path introduced the model's new errors.

    A *new error* is an instance the root (path[0]) gets right and the model (path[-1]) gets
    wrong. It is attributed to the first edge after which it is wrong; since the root was
    right, that is also the first edge after which its prediction differs from the root's.
    An instance that breaks, recovers and breaks again counts at its first break. Per edge
    also: ``flips`` (predictions that change on that edge), ``broke`` (right before, wrong
    after) and ``fixed`` (wrong before, right after), over all instances. ``correct`` gives
    rightness per model where it is not ``predicted == labels`` (generated answers: exact match).
    """
    if len(operations) != len(path) - 1 or len(predicted) != len(path):
        raise ValueError(f"path of {len(path)} models needs {len(path) - 1} operations and {len(path)} "
                         f"prediction vectors, got {len(operations)} and {len(predicted)}")
    labels = np.asarray(labels)
    preds = [np.asarray(p) for p in predicted]
    if len(path) < 2:
        return []
    right = (np.stack([np.asarray(c, dtype=bool) for c in correct]) if correct is not None
             else np.stack([p == labels for p in preds]))  # (L, n)
    new = right[0] & ~right[-1]
    wrong_after = ~right[1:] & new  # (L-1, n)
    first = np.argmax(wrong_after, axis=0)  # first edge after which a new error is wrong
    per_edge = np.bincount(first[new], minlength=len(path) - 1)
    total = int(new.sum())
    rows = []
    for i in range(len(path) - 1):
        rows.append({"step": i, "from": path[i], "to": path[i + 1], "operation": operations[i],
                     "new_errors": int(per_edge[i]), "share": per_edge[i] / total if total else 0.0,
                     "flips": int(np.count_nonzero(preds[i] != preds[i + 1])),
                     "broke": int(np.count_nonzero(right[i] & ~right[i + 1])),
                     "fixed": int(np.count_nonzero(~right[i] & right[i + 1]))})
    return rows


def attribution_by_operation(rows: Sequence[dict]) -> list[dict]:
    """Attribution rows (of one or several paths) summed per operation label, most new errors first."""
    groups: dict[str, dict] = {}
    for r in rows:
        g = groups.setdefault(r["operation"], {"operation": r["operation"], "steps": 0, "new_errors": 0,
                                               "flips": 0, "broke": 0, "fixed": 0})
        g["steps"] += 1
        for key in ("new_errors", "flips", "broke", "fixed"):
            g[key] += int(r.get(key, 0))
    total = sum(g["new_errors"] for g in groups.values())
    out = [{**g, "share": g["new_errors"] / total if total else 0.0} for g in groups.values()]
    return sorted(out, key=lambda g: -g["new_errors"])  # stable: first appearance breaks ties


def significance(data: BehaviorData, n_boot: int = 2000, seed: int = 0) -> dict[str, dict]:
    """Per non-base model: accuracy change against the base, 95% bootstrap CI and McNemar p."""
    correct = data.correct()
    out = {}
    for j, model in enumerate(data.models[1:], start=1):
        delta, lo, hi = accuracy_delta_ci(correct[0], correct[j], n_boot=n_boot, seed=seed)
        p = mcnemar_p(correct[0], correct[j])
        out[model] = {"delta": delta, "lo": lo, "hi": hi, "p": p,
                      "significant": bool((lo > 0 or hi < 0) and p < 0.05)}
    return out
