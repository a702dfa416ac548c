"""Is a model's accuracy change real? Paired bootstrap interval and McNemar's test.

Both tests are paired: they compare two models on the same instances, so the large share of
instances both get right (or both get wrong) does not widen the interval.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

EXACT_BELOW = 50  # discordant pairs: exact binomial test below this, chi-square from here on


def _discordant(correct_base: np.ndarray, correct_model: np.ndarray) -> tuple[int, int]:
    """(b, c): instances only the base gets right, and only the model gets right."""
    base = np.asarray(correct_base, dtype=bool)
    model = np.asarray(correct_model, dtype=bool)
    if base.shape != model.shape:
        raise ValueError(f"correctness vectors differ in shape: {base.shape} vs {model.shape}")
    return int(np.count_nonzero(base & ~model)), int(np.count_nonzero(~base & model))


def accuracy_delta_ci(correct_base: np.ndarray, correct_model: np.ndarray, n_boot: int = 2000,
                      seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """(delta, lo, hi) of acc(model) − acc(base), a paired percentile bootstrap.

    Per instance the paired difference is −1, 0 or +1, so resampling n instances with
    replacement is exactly a multinomial draw of how many of each: ``n_boot`` draws cost
    O(n_boot) instead of O(n_boot · n), with the same distribution as resampling indices.
    """
    b, c = _discordant(correct_base, correct_model)
    n = int(np.asarray(correct_base).size)
    if n == 0:
        return 0.0, 0.0, 0.0
    delta = (c - b) / n
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, [b / n, c / n, max(0.0, 1.0 - (b + c) / n)], size=max(1, n_boot))
    boots = (draws[:, 1] - draws[:, 0]) / n
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return float(delta), float(lo), float(hi)


def mcnemar_p(correct_base: np.ndarray, correct_model: np.ndarray) -> float:
    """Two-sided McNemar p-value: exact binomial when b + c < 50, else chi-square (continuity corrected)."""
    b, c = _discordant(correct_base, correct_model)
    total = b + c
    if total == 0:
        return 1.0
    if total < EXACT_BELOW:
        return float(stats.binomtest(b, total, 0.5).pvalue)
    chi2 = (abs(b - c) - 1) ** 2 / total
    return float(stats.chi2.sf(chi2, 1))
