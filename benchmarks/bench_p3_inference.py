"""P3 inference: the engine's cold predictions vs a plain torch loop; warm hits vs recompute."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from backend.experiment.forest import ExperimentForest, Model
from backend.inference import EvalDataset, RenderedInstance
from backend.inference.engine import Engine
from backend.inference.torch_base import TorchInspector
from backend.infra.cache import ResultCache
from benchmarks.registry import Result, best_of, workload

N_SYNTH, FEATURES, CLASSES = 50_000, 256, 100


def synthetic_module() -> nn.Module:
    """A 256→512→512→100 MLP: enough arithmetic that the loop, not Python, dominates."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(FEATURES, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, CLASSES))


class SyntheticInspector(TorchInspector):
    """50,000 seeded random inputs through the MLP."""

    def __init__(self, n: int, **kw: Any) -> None:
        super().__init__(**kw)
        self.x = torch.from_numpy(np.random.default_rng(0).normal(size=(n, FEATURES)).astype(np.float32))

    def dataset(self) -> EvalDataset:
        n = len(self.x)
        return EvalDataset(np.arange(n), np.zeros(n, dtype=np.int64), [str(i) for i in range(CLASSES)])

    def build_module(self, model: Model, checkpoint: Any) -> nn.Module:
        module = synthetic_module()
        module.load_state_dict(checkpoint)
        return module

    def inputs(self, indices: np.ndarray) -> torch.Tensor:
        return self.x[indices[0]:indices[-1] + 1]  # rows are contiguous batches

    def render_instance(self, index: int) -> RenderedInstance:
        return RenderedInstance("text/plain", str(index))


def plain_loop(path: Path, x: torch.Tensor, batch: int) -> dict[str, np.ndarray]:
    """What a user would write: load, eval, batches under inference_mode, softmax, concat."""
    module = synthetic_module()
    module.load_state_dict(torch.load(path, weights_only=True))
    module.eval()
    logits, probs = [], []
    with torch.inference_mode():
        for start in range(0, len(x), batch):
            out = module(x[start:start + batch])
            logits.append(out.numpy())
            probs.append(torch.softmax(out, -1).numpy())
    return {"logits": np.concatenate(logits), "probs": np.concatenate(probs)}


def _measure(name: str, engine_factory, baseline, repeat: int) -> list[Result]:
    def cold() -> None:
        eng = engine_factory()
        eng.predictions("m")

    ours = best_of(cold, repeat)
    base = best_of(baseline, repeat)
    eng = engine_factory(fresh=False)
    eng.predictions("m")

    def warm() -> None:
        eng.predictions("m")["probs"].sum()  # touch the data, not just the memory map

    hit = best_of(warm, repeat * 3)
    return [
        Result(f"P3 cold predictions, {name} (vs plain torch loop)", ours, base, "ratio <= 1.10",
               ours / base <= 1.10),
        Result(f"P3 warm cache hit, {name} (vs recompute)", hit, ours, ">= 50x faster (ratio <= 0.02)",
               hit / ours <= 0.02),
    ]


@workload("P3")
def p3_synthetic(quick: bool) -> list[Result]:
    """50,000 inputs through an MLP, engine vs the plain loop, same batch size and threads."""
    n = 10_000 if quick else N_SYNTH
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ckpt = root / "m.pt"
        torch.save(synthetic_module().state_dict(), ckpt)
        forest = ExperimentForest("synthetic", {"m": Model("m", None, None, None, {}, ckpt)}, {}, [])
        inspector = SyntheticInspector(n, device="cpu", batch_size=1024)
        counter = iter(range(10**6))

        def factory(fresh: bool = True) -> Engine:
            folder = root / (f"cache{next(counter)}" if fresh else "warm")
            return Engine(forest, inspector, ResultCache(folder))

        return _measure(f"{n:,} inputs MLP", factory,
                        lambda: plain_loop(ckpt, inspector.x, 1024), 2 if quick else 3)


@workload("P3")
def p3_demo(quick: bool) -> list[Result]:
    """The demo's CNN on its evaluation set (builds the demo into a temp cache if needed)."""
    from backend.demo.inspector import DemoInspector
    from backend.demo.model import load_checkpoint
    from backend.experiment.loader import load_experiment

    root_dir = Path(__file__).resolve().parents[1]
    exp = load_experiment(root_dir / "configs" / "demo.yaml", default_cache_dir=root_dir / ".cache")
    model = exp.forest[exp.forest.roots[0]]
    forest = ExperimentForest("demo", {"m": Model("m", None, None, None, {}, model.checkpoint)}, {}, [])
    inspector = DemoInspector(device="cpu", batch_size=256)
    x = inspector.inputs(np.arange(len(inspector.dataset())))
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10**6))

        def factory(fresh: bool = True) -> Engine:
            folder = Path(tmp) / (f"cache{next(counter)}" if fresh else "warm")
            return Engine(forest, inspector, ResultCache(folder))

        def baseline() -> None:
            module = load_checkpoint(model.checkpoint)
            with torch.inference_mode():
                for start in range(0, len(x), 256):
                    out = module(x[start:start + 256])
                    out.numpy(), torch.softmax(out, -1).numpy()

        return _measure("demo CNN", factory, baseline, 3 if quick else 5)
