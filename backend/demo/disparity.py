"""Does heavy pruning hurt the under-represented digits more? A cross-validated, multi-seed study.

The demo's evaluation set has ~54 images per class, too few to tell a disparate impact of
compression from noise. Here every digit is held out once per seed: stratified k-fold over all
1797 images, each fold trained with the same under-representation (digits 3 and 8 cut to a
fifth), pruned globally and fine-tuned exactly like the demo's models. The error-rate increase
(pruned − base) of the rare classes is compared with that of the other classes, with 95 %
bootstrap confidence intervals that resample images (all seeds of an image together).

Run ``python -m backend.demo.disparity`` (about 2 minutes on 2 cores for 5 folds × 3 seeds).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

from backend.demo import compress as C
from backend.demo.build import EPOCHS, FINETUNE_EPOCHS, FINETUNE_LR, TRAIN_LR
from backend.demo.data import RARE_CLASSES, cross_validation
from backend.demo.model import build_architecture
from backend.demo.train import fit, predict

AMOUNTS = (0.5, 0.9, 0.95)
ARCH = "small-cnn"


@dataclass
class StudyPredictions:
    """Correctness of every model variant on every digit, per seed: arrays (seeds, 1797)."""

    labels: np.ndarray
    correct: dict[str, np.ndarray]
    fold_of: np.ndarray  # (seeds, images): which fold held the image out
    seeds: list[int] = field(default_factory=list)


def _run_fold(args: tuple[int, int, int]) -> tuple[int, int, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Train, prune and fine-tune on one fold; predictions on its held-out images."""
    folds, seed, k = args
    train, test = list(cross_validation(folds, seed))[k]
    torch.manual_seed(seed)
    base = fit(build_architecture(ARCH), train, EPOCHS[ARCH], TRAIN_LR, seed=seed)
    preds = {"base": predict(base, test).numpy()}
    control = C.apply_masks(base, {})  # fine-tuned without pruning: is it the fine-tuning?
    fit(control, train, FINETUNE_EPOCHS, FINETUNE_LR, seed=seed + 1)
    preds["base-ft"] = predict(control, test).numpy()
    for amount in AMOUNTS:
        pruned = C.apply_masks(base, C.global_magnitude_masks(base, amount))
        preds[f"gprune{round(amount * 100)}"] = predict(pruned, test).numpy()
        fit(pruned, train, FINETUNE_EPOCHS, FINETUNE_LR, seed=seed + 1, masks=C.zero_masks(pruned))
        preds[f"gprune{round(amount * 100)}-ft"] = predict(pruned, test).numpy()
    return seed, k, test.ids, test.y.numpy(), preds


def run_study(folds: int = 5, seeds: Sequence[int] = (0, 1, 2), workers: int = 1,
              log: Callable[[str], None] = lambda _m: None) -> StudyPredictions:
    """Every (seed, fold) run; ``workers`` > 1 runs folds in parallel processes of one thread each."""
    jobs = [(folds, s, k) for s in seeds for k in range(folds)]
    t0 = time.perf_counter()
    if workers > 1:
        spawn = multiprocessing.get_context("spawn")  # no fork of a process with live thread pools
        with ProcessPoolExecutor(workers, mp_context=spawn, initializer=torch.set_num_threads,
                                 initargs=(1,)) as pool:
            results = list(pool.map(_run_fold, jobs))
    else:
        results = []
        for job in jobs:
            results.append(_run_fold(job))
            log(f"disparity: seed {job[1]} fold {job[2] + 1}/{folds} ({time.perf_counter() - t0:.0f} s)")
    n = 1 + max(int(ids.max()) for _, _, ids, _, _ in results)
    labels = np.full(n, -1)
    correct: dict[str, np.ndarray] = {}
    fold_of = np.full((len(seeds), n), -1)
    for seed, k, ids, y, preds in results:
        row = list(seeds).index(seed)
        labels[ids] = y
        fold_of[row, ids] = k
        for name, p in preds.items():
            correct.setdefault(name, np.zeros((len(seeds), n), dtype=bool))[row, ids] = p == y
    return StudyPredictions(labels, correct, fold_of, list(seeds))


def bootstrap_means(values: np.ndarray, n_boot: int, rng: np.random.Generator,
                    chunk: int = 250) -> np.ndarray:
    """Means of ``values`` (k quantities × n images) over images resampled with replacement: (n_boot, k)."""
    n = values.shape[1]
    out = []
    for start in range(0, n_boot, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_boot - start), n))
        out.append(values[:, idx].mean(axis=-1).T)
    return np.concatenate(out)


def percentile_ci(boots: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` interval of bootstrap replicates."""
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _group_stats(rare: np.ndarray, other: np.ndarray) -> dict[str, np.ndarray]:
    """Statistics from (…, 2) arrays of [base error, pruned error] means of each group."""
    return {"rare base error": rare[..., 0], "rare pruned error": rare[..., 1],
            "other base error": other[..., 0], "other pruned error": other[..., 1],
            "rare increase": rare[..., 1] - rare[..., 0], "other increase": other[..., 1] - other[..., 0],
            "difference": (rare[..., 1] - rare[..., 0]) - (other[..., 1] - other[..., 0]),
            "rare relative increase": rare[..., 1] / np.maximum(rare[..., 0], 1e-12) - 1,
            "other relative increase": other[..., 1] / np.maximum(other[..., 0], 1e-12) - 1}


def disparity(study: StudyPredictions, variant: str, reference: str = "base",
              rare: Sequence[int] = RARE_CLASSES, n_boot: int = 2000,
              seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """Error rates of rare and other classes, ``reference`` → ``variant``: (estimate, 95 % CI).

    Each image's error is averaged over seeds first, so resampling an image keeps its seeds
    together; rare and other images are resampled separately (a stratified bootstrap).
    """
    err = np.stack([~study.correct[reference], ~study.correct[variant]]).astype(float).mean(axis=1)
    is_rare = np.isin(study.labels, rare)
    rng = np.random.default_rng(seed)
    point = _group_stats(err[:, is_rare].mean(axis=1), err[:, ~is_rare].mean(axis=1))
    boots = _group_stats(bootstrap_means(err[:, is_rare], n_boot, rng),
                         bootstrap_means(err[:, ~is_rare], n_boot, rng))
    return {name: (float(point[name]), *percentile_ci(boots[name])) for name in point}


def runs_in_direction(study: StudyPredictions, variant: str, reference: str = "base",
                      rare: Sequence[int] = RARE_CLASSES) -> tuple[int, int]:
    """In how many (seed, fold) runs the rare classes' error rose more than the others' error."""
    is_rare = np.isin(study.labels, rare)
    hits = total = 0
    for row in range(len(study.seeds)):
        for k in np.unique(study.fold_of[row]):
            held = study.fold_of[row] == k
            rise = {g: float(study.correct[reference][row, held & (is_rare == g)].mean()
                             - study.correct[variant][row, held & (is_rare == g)].mean())
                    for g in (True, False)}
            hits += rise[True] > rise[False]
            total += 1
    return hits, total


def comparisons(study: StudyPredictions) -> list[tuple[str, str]]:
    """(reference, variant) pairs: every variant against the base, fine-tuned ones also against
    the base fine-tuned as long without pruning (separating pruning from fine-tuning)."""
    pairs = [("base", v) for v in study.correct if v != "base"]
    pairs += [("base-ft", v) for v in study.correct if v.endswith("-ft") and v != "base-ft"]
    return pairs


def report(study: StudyPredictions, n_boot: int = 2000) -> dict[str, dict]:
    """Disparity statistics of every comparison, plus the per-run direction count."""
    out: dict[str, dict] = {}
    for reference, variant in comparisons(study):
        stats = disparity(study, variant, reference, n_boot=n_boot)
        hits, total = runs_in_direction(study, variant, reference)
        out[f"{reference} -> {variant}"] = {**{k: list(v) for k, v in stats.items()},
                                            "runs rare worse": [hits, total]}
    return out


def format_report(results: dict[str, dict]) -> str:
    """The study as a plain-text table: estimate and 95 % CI of every statistic."""
    lines = []
    for variant, stats in results.items():
        hits, total = stats["runs rare worse"]
        lines.append(f"{variant}: the rare classes' error rose more in {hits}/{total} runs")
        for name, value in stats.items():
            if name != "runs rare worse":
                est, lo, hi = value
                lines.append(f"  {name:<26} {est:+.4f}  [{lo:+.4f}, {hi:+.4f}]")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: run the study and print (or save as JSON) the table with 95 % CIs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--workers", type=int, default=2, help="parallel processes (one thread each)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    study = run_study(args.folds, args.seeds, args.workers, log=lambda m: sys.stderr.write(m + "\n"))
    results = report(study)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    sys.stdout.write(format_report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
