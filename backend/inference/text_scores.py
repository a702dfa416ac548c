"""Scores of generated answers against reference answers: SQuAD's exact match and token F1.

Why here: every generative inspector (and the text demo's build, which records the same
numbers as metrics) must score answers the same way, so the Behaviors page's per-instance
vectors, the models file's F1 and a user's own evaluation agree to the last digit. The
normalisation is the official SQuAD v1.1 script's: lower case, punctuation removed, the
articles a/an/the removed, whitespace collapsed. With several references the best one counts.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

import numpy as np

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, references: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals a normalised reference, else 0.0."""
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(r) for r in references))


def _f1(pred_tokens: list[str], ref_tokens: list[str]) -> float:
    if not pred_tokens or not ref_tokens:  # SQuAD 2.0's rule: both empty is a match
        return float(pred_tokens == ref_tokens)
    common = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred_tokens), common / len(ref_tokens)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, references: Sequence[str]) -> float:
    """The best token-overlap F1 of the prediction against any reference (0 with none)."""
    pred = normalize_answer(prediction).split()
    return max((_f1(pred, normalize_answer(r).split()) for r in references), default=0.0)


def score_answers(predictions: Sequence[str],
                  references: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
    """Per-instance ``f1`` and ``exact_match`` (float64, one row per prediction)."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} reference lists")
    f1 = np.fromiter((token_f1(p, r) for p, r in zip(predictions, references, strict=True)),
                     dtype=np.float64, count=len(predictions))
    em = np.fromiter((exact_match(p, r) for p, r in zip(predictions, references, strict=True)),
                     dtype=np.float64, count=len(predictions))
    return {"f1": f1, "exact_match": em}
