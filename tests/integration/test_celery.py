"""Scale-out: a background job queued by gunicorn through a real Redis, run by a real Celery worker.

Needs Debian's ``redis-server`` (``.ci/run`` installs it): skipped without it, a failure in CI.
The worker runs ``celery -A worker:celery_app worker --pool solo``, the documented command, on a
tiny torch experiment whose inspector writes the pid of every process that loads a model; the
job's predictions must come from the worker's pid and land in the shared cache directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import tiny
from tests.support.servers import REPO, free_port, gunicorn_app

MODELS = ["base", "child", "other"]


class PidInspector(tiny.TinyInspector):
    """The tiny linear classifier; appends ``pid model`` to ``options['pid_file']`` per load."""

    def build_module(self, model, checkpoint):
        with open(self.options["pid_file"], "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {model.id}\n")
        return super().build_module(model, checkpoint)


# --- Redis and the worker, started for real -----------------------------------------------------


def redis_executable() -> str:
    """Debian's redis-server, or skip (outside CI) / fail (in CI) with what to install."""
    exe = shutil.which("redis-server")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server not found: apt-get install redis-server (.ci/run installs it)")
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    return exe


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(tmp_path: Path, port: int | None = None) -> Iterator[str]:
    """A throw-away redis-server on a free loopback port (no persistence); yield its URL."""
    port = port or free_port()
    data = tmp_path / "redis"
    data.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [redis_executable(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
         "--save", "", "--appendonly", "no", "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not _ping(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait_until_ready(proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    """Wait for the worker's "<name> ready." log line; raise with the log tail if it died."""
    deadline = time.monotonic() + timeout
    while " ready." not in log.read_text(encoding="utf-8", errors="replace"):
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited with {proc.returncode}: {log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"celery worker not ready in {timeout} s: {log.read_text()[-3000:]}")
        time.sleep(0.2)


@contextmanager
def celery_worker(config: Path, cache_dir: Path, log: Path) -> Iterator[subprocess.Popen]:
    """The documented worker command (solo pool: jobs run in this very process), started in the
    background so that the web server can boot meanwhile: call ``wait_until_ready`` before use."""
    env = {**os.environ, "CC_CONFIG": str(config), "CC_CACHE_DIR": str(cache_dir)}
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker:celery_app", "worker", "--pool", "solo",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--hostname", f"cc-test-{os.getpid()}@%h"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def tiny_experiment(tmp_path: Path, background: str, pid_file: Path) -> Path:
    """Three tiny torch models and a config whose background section is ``background``."""
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir(exist_ok=True)
    for seed, mid in enumerate(MODELS):
        tiny.save_linear(ckpt / f"{mid}.pt", seed=seed)
    config = tmp_path / "exp.yaml"
    config.write_text(
        "name: tiny celery\n"
        "models:\n"
        "  - {id: base, checkpoint: ckpt/base.pt, metrics: {Accuracy: 0.5}}\n"
        "  - {id: child, base: base, checkpoint: ckpt/child.pt, metrics: {Accuracy: 0.4},\n"
        "     operation: {name: prune, parameters: {amount: 0.5}}}\n"
        "  - {id: other, base: base, checkpoint: ckpt/other.pt, metrics: {Accuracy: 0.3},\n"
        "     operation: {name: prune, parameters: {amount: 0.9}}}\n"
        "metrics: [{name: Accuracy, primary: true}]\n"
        "inspector:\n"
        "  module: tests.integration.test_celery\n"
        "  class: PidInspector\n"
        "  device: cpu\n"
        "  batch_size: 32\n"
        f"  options: {{pid_file: {json.dumps(str(pid_file))}}}\n"
        f"background: {background}\n"
    )
    return config


# --- a minimal Dash client: what the renderer does for one background callback ------------------


class DashClient:
    """Loads a page's layout and runs one background callback the way dash-renderer does."""

    def __init__(self, url: str, **client_kwargs: Any) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=60, **client_kwargs)
        html = self.http.get("/").text
        config = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', html, re.S)
        self.end_id = json.loads(config.group(1))["end_id"]

    def close(self) -> None:
        self.http.close()

    def post(self, body: dict, **params: str) -> httpx.Response:
        return self.http.post("/_dash-update-component", params={"endId": self.end_id, **params}, json=body)

    def layout(self, pathname: str, search: str) -> Any:
        """The page content the routing callback returns for ``pathname?search``."""
        body = {"output": ".._pages_content.children..._pages_store.data..",
                "outputs": [{"id": "_pages_content", "property": "children"},
                            {"id": "_pages_store", "property": "data"}],
                "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                           {"id": "_pages_location", "property": "search", "value": search}],
                "changedPropIds": ["_pages_location.pathname"], "state": []}
        r = self.post(body)
        assert r.status_code == 200, r.text[:500]
        return r.json()["response"]["_pages_content"]["children"]

    def background_callback(self, layout: Any, trigger: str, prop: str = "n_clicks") -> dict:
        """Click ``trigger`` on ``layout``: start its background callback and poll to the result."""
        started = self.start_background(layout, trigger, prop)
        return started if "response" in started else self.poll_background(started)

    def start_background(self, layout: Any, trigger: str, prop: str = "n_clicks") -> dict:
        """The first request of a background callback: its signed handles (or an answer)."""
        props = _props(layout)
        deps = self.http.get("/_dash-dependencies").json()
        spec = next(d for d in deps if d.get("background")
                    and {"id": trigger, "property": prop} in d["inputs"])
        outputs = [_dep(o) for o in _split_output(spec["output"])]
        body = {
            "output": spec["output"],
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [{**i, "value": 1 if i["id"] == trigger else props.get((i["id"], i["property"]))}
                       for i in spec["inputs"]],
            "state": [{**s, "value": props.get((s["id"], s["property"]))} for s in spec["state"]],
            "changedPropIds": [f"{trigger}.{prop}"],
        }
        started = self.post(body)
        assert started.status_code == 200, started.text[:500]
        return {**started.json(), "_body": body}  # a "response" here: answered at once

    def poll_background(self, started: dict) -> dict:
        """Poll as the renderer does (values nulled) until the callback's response."""
        handles = started
        polled = json.loads(json.dumps(started["_body"]))
        for item in polled["inputs"] + polled["state"]:
            item["value"] = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.3)
            r = self.post(polled, cacheKey=handles["cacheKey"], job=handles["job"])
            assert r.status_code == 200, r.text[:500]
            answer = r.json()
            if "response" in answer:
                return answer
        raise AssertionError("the background job did not finish within 120 s")


def _split_output(output: str) -> list[str]:
    return output[2:-2].split("...") if output.startswith("..") else [output]


def _dep(text: str) -> dict:
    ident, _, prop = text.rpartition(".")
    return {"id": ident, "property": prop}


def _props(node: Any, found: dict | None = None) -> dict:
    """(component id, prop) -> value for every component with a string id in a layout tree."""
    found = {} if found is None else found
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and isinstance(props.get("id"), str):
            for key, value in props.items():
                found[(props["id"], key)] = value
        for value in node.values():
            _props(value, found)
    elif isinstance(node, list):
        for value in node:
            _props(value, found)
    return found


def load_predictions(url: str, models: list[str]) -> dict:
    """Open /behaviors for ``models`` and press "Load predictions"; return the final response."""
    client = DashClient(url)
    try:
        search = "?models=" + ",".join(models) + "&base=" + models[0]
        return client.background_callback(client.layout("/behaviors", search), "behaviors-load")
    finally:
        client.close()


def status_text(answer: dict) -> str:
    """The job's status line(s) in a callback response."""
    return json.dumps({k: v for k, v in answer.get("response", {}).items() if k.endswith("-status")})


# --- the test -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_background_job_runs_on_the_celery_worker(tmp_path: Path):
    pid_file = tmp_path / "loads.txt"
    cache = tmp_path / "cache"
    with redis_server(tmp_path) as redis:
        background = (f"{{manager: celery, broker_url: '{redis}/0', result_backend: '{redis}/1'}}")
        config = tiny_experiment(tmp_path, background, pid_file)
        log = tmp_path / "worker.log"
        with celery_worker(config, cache, log) as worker, gunicorn_app(config, cache, workers=2) as url:
            wait_until_ready(worker, log)
            answer = load_predictions(url, MODELS)
            worker_log = log.read_text()
            worker_pid = worker.pid
    assert "Predictions ready" in status_text(answer), answer
    # every model was loaded by the worker process, never by the web processes or this one
    loads = [line.split() for line in pid_file.read_text().splitlines()]
    assert sorted(m for _, m in loads) == sorted(MODELS)
    assert {int(pid) for pid, _ in loads} == {worker_pid}
    assert re.search(r"Task background_callback_[0-9a-f]+\[[0-9a-f-]+\] succeeded", worker_log), worker_log
    # the worker wrote the predictions to the shared cache directory, where the web reads them
    from backend.experiment.loader import load_experiment
    from backend.inference.engine import Engine
    from backend.inference.loading import make_inspector
    from backend.infra.cache import ResultCache

    exp = load_experiment(config, cache_dir=cache)
    engine = Engine(exp.forest, make_inspector(exp.inspector), ResultCache(cache / "results"))
    assert all(engine.is_cached("predictions", m) for m in MODELS)
