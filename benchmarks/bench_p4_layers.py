"""P4 layers: streaming layer statistics of 5 models × 100M parameters vs a bare numpy pass.

The models are synthetic but stored the way the app stores real ones: a small inspector yields
each tensor, ``Engine.parameters`` writes them into the result cache as ``.npy`` files, and
both sides read those files. Ours is ``backend.layers.compute`` (the base's own column, then
four model-vs-base pairs: zero masks, float64 sums, histograms stacked by change). The baseline
is what a user would write with numpy on the memory-mapped arrays: per model and tensor,
``|w|.sum()``, ``|w − w_base|.sum()`` and ``np.histogram(w, 30)``. Each side runs in its own
process, which reports its wall time and peak resident memory (VmHWM).

    python -m benchmarks --only P4              # 5 × 100M float32 (2 GB of files in $TMPDIR)
    CC_P4_PARAMS=20000000 python -m benchmarks --only P4      # smaller models
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.registry import Result, workload

MODELS = ("base", "prune50", "prune90", "finetune", "int8")
WIDTH = 1024
SIGMA = 0.02


def tensor_shapes(total: int) -> list[tuple[str, tuple[int, ...]]]:
    """Eight blocks of two big matrices plus a bias and a norm each, about ``total`` values."""
    small = 3 * WIDTH
    per_block = max(2 * WIDTH, total // 8 - small)
    rows = max(1, per_block // (2 * WIDTH))
    shapes = []
    for b in range(8):
        shapes += [(f"blocks.{b}.attn.weight", (rows, WIDTH)), (f"blocks.{b}.mlp.weight", (rows, WIDTH)),
                   (f"blocks.{b}.mlp.bias", (WIDTH,)), (f"blocks.{b}.norm.weight", (WIDTH,)),
                   (f"blocks.{b}.norm.bias", (WIDTH,))]
    return shapes


def make_tensor(model: str, index: int, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor of one synthetic model, deterministic (the base's values, then the change)."""
    rng = np.random.default_rng(1000 + index)
    w = rng.standard_normal(shape, dtype=np.float32)
    w *= np.float32(SIGMA)
    if model.startswith("prune"):
        cut = {"prune50": 0.6745, "prune90": 1.6449}[model] * SIGMA  # |N(0, σ)| quantiles
        w[np.abs(w) < cut] = 0
    elif model == "finetune":
        noise = np.random.default_rng(5000 + index).standard_normal(shape, dtype=np.float32)
        w += noise * np.float32(SIGMA / 10)
    elif model == "int8":
        scale = np.float32(np.abs(w).max() / 127)
        w = np.round(w / scale).astype(np.float32) * scale
    return w


def _engine(cache_dir: Path, total: int) -> Any:
    """An Engine over the synthetic forest; its keys are stable across processes."""
    from backend.experiment.forest import ExperimentForest, Model
    from backend.inference.engine import Engine
    from backend.inference.protocol import EvalDataset, Inspector, RenderedInstance
    from backend.infra.cache import ResultCache

    class Synthetic(Inspector):
        version = f"p4-{total}"

        def identity(self) -> str:
            return f"benchmarks.bench_p4_layers.Synthetic:{self.version}"

        def dataset(self) -> EvalDataset:
            return EvalDataset(np.arange(1), np.zeros(1, dtype=np.int64), ["x"])

        def load_model(self, model: Model) -> Any:
            return model.id

        def predict(self, loaded: Any, indices: np.ndarray) -> dict[str, np.ndarray]:
            raise NotImplementedError

        def render_instance(self, index: int) -> RenderedInstance:
            return RenderedInstance("text/plain", "")

        def parameters(self, loaded: Any):
            for i, (name, shape) in enumerate(tensor_shapes(total)):
                yield name, make_tensor(loaded, i, shape)

    models = {m: Model(m, None if m == "base" else "base", None, None, {}, None) for m in MODELS}
    forest = ExperimentForest("p4", models, {}, [])
    return Engine(forest, Synthetic(), ResultCache(cache_dir))


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux keeps ru_maxrss across
    exec, so a worker started from a big parent would report the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker(kind: str, cache_dir: str, total: int, tag: str) -> dict:
    """Runs in a fresh process: one timed pass, then its peak memory."""
    eng = _engine(Path(cache_dir), total)
    arrays = {m: eng.parameters(m) for m in MODELS}  # cache hits: memory maps, nothing read yet
    start_rss = peak_rss_mb()
    t0 = time.perf_counter()
    if kind == "ours":
        from backend import layers

        del arrays
        layers.STATS_VERSION = f"bench-{tag}"  # fresh cache keys: compute, never a hit
        layers.compute(eng, list(MODELS), "base", "weights")
    else:
        base = arrays["base"]
        for m in MODELS[1:]:
            for name, w in arrays[m].items():
                b = base[name]
                np.abs(w).sum(dtype=np.float64)
                np.abs(w - b).sum(dtype=np.float64)
                np.histogram(w, bins=30)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "start_mb": start_rss}


def _run(kind: str, cache_dir: Path, total: int, tag: str) -> dict:
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "benchmarks.bench_p4_layers", kind, str(cache_dir), str(total), tag]
    out = subprocess.run(command, capture_output=True, text=True, cwd=root, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"P4 {kind} worker failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


@workload("P4")
def p4_layers(quick: bool) -> list[Result]:
    """5 models × CC_P4_PARAMS (default 100M; 10M with --quick) float32 parameters."""
    total = int(os.environ.get("CC_P4_PARAMS") or (10_000_000 if quick else 100_000_000))
    tmp = Path(tempfile.mkdtemp(prefix="cc-p4-"))
    try:
        eng = _engine(tmp, total)
        for m in MODELS:  # generate and store, one model at a time
            eng.parameters(m)
        files = list((tmp / "arrays").rglob("*.npy"))
        model_mb = sum(f.stat().st_size for f in files) / len(MODELS) / 2**20
        for f in files:  # warm the page cache for both sides alike
            with open(f, "rb") as fh:
                while fh.read(1 << 24):
                    pass
        repeats = 1 if quick else 2
        ours = [_run("ours", tmp, total, f"{i}") for i in range(repeats)]
        base = [_run("baseline", tmp, total, f"{i}") for i in range(repeats)]
        best_ours = min(r["seconds"] for r in ours)
        best_base = min(r["seconds"] for r in base)
        peak = max(r["peak_mb"] for r in ours)
        label = f"{len(MODELS)} × {total / 1e6:g}M params"
        print(f"P4 {label}: ours {best_ours:.2f} s, numpy {best_base:.2f} s, throughput "
              f"{best_base / best_ours:.2f}× numpy; peak RSS ours {peak:.0f} MB "
              f"(start {ours[0]['start_mb']:.0f} MB), numpy {max(r['peak_mb'] for r in base):.0f} MB; "
              f"one model {model_mb:.0f} MB")
        return [
            Result(f"P4 layer stats, {label} (vs bare numpy pass)", best_ours, best_base,
                   "throughput >= 0.5x (ratio <= 2)", best_ours <= 2 * best_base),
            Result(f"P4 peak RSS in GB, ours vs two models ({label})", peak / 1024, 2 * model_mb / 1024,
                   "peak < two models (ratio < 1)", peak < 2 * model_mb),
        ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":  # the worker process
    kind_, cache_, total_, tag_ = sys.argv[1:5]
    print(json.dumps(_worker(kind_, cache_, int(total_), tag_)))
