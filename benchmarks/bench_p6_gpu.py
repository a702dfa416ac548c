"""P6 GPU: the engine's cold predictions on CUDA vs on the CPU (only where a GPU is present)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

from backend.experiment.forest import ExperimentForest, Model
from backend.inference.engine import Engine
from backend.infra.cache import ResultCache
from benchmarks.bench_p3_inference import N_SYNTH, SyntheticInspector, synthetic_module
from benchmarks.registry import Result, best_of, workload


@workload("P6")
def p6_gpu(quick: bool) -> list[Result]:
    """Same model, data, batch size and cache path; only the inspector's device differs."""
    if not torch.cuda.is_available():
        sys.stderr.write("P6 skipped: no CUDA device on this machine\n")
        return []
    n = 10_000 if quick else N_SYNTH
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ckpt = root / "m.pt"
        torch.save(synthetic_module().state_dict(), ckpt)
        forest = ExperimentForest("synthetic", {"m": Model("m", None, None, None, {}, ckpt)}, {}, [])
        counter = iter(range(10**6))
        timings = {}
        for device in ("cpu", "cuda"):
            inspector = SyntheticInspector(n, device=device, batch_size=4096)

            def cold(inspector=inspector) -> None:
                Engine(forest, inspector, ResultCache(root / f"c{next(counter)}")).predictions("m")
                if inspector.device.type == "cuda":
                    torch.cuda.synchronize()

            cold()  # warm-up: CUDA context, kernels
            timings[device] = best_of(cold, 2 if quick else 3)
        rows.append(Result(f"P6 cold predictions {n:,} inputs, CUDA vs CPU ({torch.cuda.get_device_name()})",
                           timings["cuda"], timings["cpu"], "GPU faster (ratio < 1)",
                           timings["cuda"] < timings["cpu"]))
    return rows
