"""With ``background: celery``, a launch runs on the Celery worker (not in the web process) and
its model reaches the models file the web server re-reads."""

from __future__ import annotations

from pathlib import Path

from backend.experiment.loader import load_experiment
from components.shared import ids
from tests.integration.test_celery import celery_worker, redis_server, wait_until_ready
from tests.support.mini_demo import write_mini_demo
from tests.support.renderer import Renderer
from tests.support.servers import gunicorn_app

PLAN = {"base": "cnn", "operation": "layer-wise magnitude prune", "runs": [{"amount": 0.5}]}


def test_a_launch_runs_on_the_celery_worker(tmp_path: Path):
    pid_file, cache = tmp_path / "pids.txt", tmp_path / "cache"
    config = write_mini_demo(tmp_path / "exp")
    with redis_server(tmp_path) as redis:
        config.write_text(config.read_text().replace(
            "launch: {module: backend.demo.launcher, class: DemoLauncher}",
            f"launch: {{module: tests.support.launchers, class: HoldingLauncher, "
            f"options: {{pid_file: '{pid_file}'}}}}\n"
            f"background: {{manager: celery, broker_url: '{redis}/0', result_backend: '{redis}/1'}}"))
        log = tmp_path / "worker.log"
        with celery_worker(config, cache, log) as worker, gunicorn_app(config, cache) as url:
            wait_until_ready(worker, log)
            renderer = Renderer.for_url(url)
            page = renderer.open("/?sel=cnn")
            dep = renderer.dependency(f"{ids.OV_LAUNCH_NAV}.href")
            answer = renderer.call(page, dep, trigger=(ids.OV_LAUNCH_PLAN, "data"),
                                   values={(ids.OV_LAUNCH_PLAN, "data"): PLAN})
            status = answer.outputs[ids.OV_LAUNCH_STATUS]["children"]
            worker_pid = worker.pid
            shown = renderer.open("/?sel=cnn-lprune50")  # the web server shows the worker's model
    assert status.startswith("Added cnn-lprune50 in"), status
    assert [int(p) for p in pid_file.read_text().split()] == [worker_pid]
    assert "1 Model Selected" in shown.text and "cnn-lprune50" in shown.text, shown.text[:300]
    model = load_experiment(config).forest["cnn-lprune50"]
    assert model.operation.parameters == {"amount": 0.5} and model.metrics["Sparsity"] > 0.3
