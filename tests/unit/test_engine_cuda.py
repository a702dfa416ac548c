"""The CUDA path: run only where a GPU is present (the device machine), skipped elsewhere.

The web process must never initialise CUDA, because background jobs are forked from it and
CUDA does not survive fork(); the job itself may use the GPU.
"""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import numpy as np
import pytest
import torch

from backend.experiment.forest import ExperimentForest, Model
from backend.experiment.schema import InspectorSpec
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.infra.cache import ResultCache
from tests.support import tiny

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _forest(tmp_path: Path) -> ExperimentForest:
    tiny.save_linear(tmp_path / "m.pt", seed=3)
    return ExperimentForest("t", {"m": Model("m", None, None, None, {}, tmp_path / "m.pt")}, {}, [])


def _engine(forest: ExperimentForest, cache: Path, device: str) -> Engine:
    spec = InspectorSpec(module="tests.support.tiny", **{"class": "TinyInspector"}, device=device)
    return Engine(forest, make_inspector(spec), ResultCache(cache))


def _job(forest: ExperimentForest, cache: Path, queue) -> None:
    eng = _engine(forest, cache, "auto")
    eng.predictions("m")
    queue.put((str(eng.inspector.device), torch.cuda.is_initialized()))


def test_forked_job_uses_gpu_while_web_process_stays_clean(tmp_path: Path):
    forest = _forest(tmp_path)
    ctx = mp.get_context("fork")  # what DiskcacheManager's multiprocess does on Linux
    queue = ctx.Queue()
    proc = ctx.Process(target=_job, args=(forest, tmp_path / "gpu", queue))
    proc.start()
    device, child_initialised = queue.get(timeout=120)
    proc.join(timeout=60)
    assert device.startswith("cuda") and child_initialised
    assert not torch.cuda.is_initialized()  # the parent (web process) never touched CUDA
    cpu = _engine(forest, tmp_path / "cpu", "cpu").predictions("m")
    gpu = ResultCache(tmp_path / "gpu")
    key = _engine(forest, tmp_path / "gpu", "auto").key("predictions", "m")
    assert np.allclose(gpu.get_arrays(key)["probs"], cpu["probs"], atol=1e-5)
