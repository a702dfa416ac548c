"""A launch killed half-way leaves no half-written model in the models file.

First the app's own job (a process forked by the gunicorn worker) is killed after it wrote its
checkpoint and before it appended the model; then a loop of launches is killed at random
moments, most of them inside a models-file write. Each time the file loads, and every model in
it is whole (its checkpoint exists, its metrics are there).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend.experiment.loader import load_experiment
from components.shared import ids
from tests.conftest import REPO
from tests.support.mini_demo import write_mini_demo
from tests.support.renderer import Job, Renderer
from tests.support.servers import gunicorn_app

PLAN = {"base": "cnn", "operation": "global magnitude prune", "runs": [{"amount": 0.3}, {"amount": 0.6}]}


def _wait_for_file(path: Path, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)
    return path.read_text().strip()


def _whole(config: Path) -> list[str]:
    """The models file loads and each model's checkpoint is a non-empty file."""
    forest = load_experiment(config).forest
    for model in forest:
        assert model.checkpoint is not None and model.checkpoint.stat().st_size > 0, model.id
        assert "Accuracy" in model.metrics, model.id
    return [m.id for m in forest]


def _launch_body(renderer: Renderer, plan: dict) -> dict:
    page = renderer.open("/?sel=cnn")
    assert page.status == 200, page.body[:300]
    dep = renderer.dependency(f"{ids.OV_LAUNCH_NAV}.href")
    return renderer.payload(page, dep, trigger=(ids.OV_LAUNCH_PLAN, "data"),
                            values={(ids.OV_LAUNCH_PLAN, "data"): plan})


def test_a_killed_launch_job_leaves_the_models_file_whole(tmp_path: Path):
    hold, pid_file = tmp_path / "hold", tmp_path / "job.pid"
    config = write_mini_demo(tmp_path / "exp")
    config.write_text(config.read_text().replace(
        "launch: {module: backend.demo.launcher, class: DemoLauncher}",
        f"launch: {{module: tests.support.launchers, class: HoldingLauncher, "
        f"options: {{hold: '{hold}', pid_file: '{pid_file}'}}}}"))
    models = config.parent / "models.yaml"
    before = models.read_bytes()
    with gunicorn_app(config, tmp_path / "cache") as url:
        renderer = Renderer.for_url(url)
        hold.touch()
        job = renderer.start(_launch_body(renderer, PLAN))
        assert isinstance(job, Job), job
        os.kill(int(_wait_for_file(pid_file)), signal.SIGKILL)  # checkpoint written, model not yet
        hold.unlink()
        answer = renderer.poll(job, timeout=60)
        assert answer.status in (200, 204) and "Traceback" not in answer.body
        assert models.read_bytes() == before  # nothing appended, nothing half-written
        assert _whole(config) == ["cnn"]
        # the app still launches; the killed run's checkpoint name stays taken
        answer = renderer.poll(renderer.start(_launch_body(renderer, PLAN)), timeout=120)
        status = answer.outputs[ids.OV_LAUNCH_STATUS]["children"]
        assert status.startswith("Added cnn-gprune30-2, cnn-gprune60 in"), status
        assert answer.outputs[ids.OV_LAUNCH_NAV]["href"].startswith("/?sel=cnn-gprune30-2%2Ccnn-gprune60")
    assert sorted(_whole(config)) == ["cnn", "cnn-gprune30-2", "cnn-gprune60"]


@pytest.mark.parametrize("seed", [0])
def test_launches_killed_at_random_moments_never_leave_half_a_model(tmp_path: Path, seed: int):
    config = write_mini_demo(tmp_path / "exp")
    rng = random.Random(seed)
    counts = []
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-m", "tests.support.launchers", str(config)], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.05, 0.6))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        counts.append(len(_whole(config)))
    assert counts == sorted(counts) and counts[-1] > 6  # launches went on across the kills
