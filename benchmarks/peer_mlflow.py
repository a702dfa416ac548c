"""MLflow next to ours in P1: the same generated experiment as nested runs, the same browser.

Why: "fast" means faster than what an ML engineer would otherwise open. The 1,000-model forest
is logged into a local ``mlflow server`` (SQLite store, telemetry off) as one run per model,
each nested under its base's run (the ``mlflow.parentRunId`` tag) with the model's metrics and
its operation's parameters; then MLflow's runs table and its compare view of the same 16
models as our selection row are timed by ``p1_browser`` in the same rounds as our pages.

The full ``mlflow`` package is needed (``mlflow server`` and its UI; ``mlflow-skinny`` has
neither) and is not a dependency of the app: ``CC_MLFLOW`` names its ``mlflow`` executable
(e.g. from a separate virtual environment), else ``mlflow`` on PATH. Without one, the peer rows
are skipped with one line. Runs are logged over MLflow's REST API, so this process needs no
mlflow client.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from benchmarks.registry import Result
from tests.support.gunicorn import free_port

API = "/api/2.0/mlflow"
# drawn: the runs table's rows; the compare view's table of the runs' metrics and its plot
RUNS_DRAWN = "document.querySelectorAll('.ag-center-cols-container .ag-row').length > 0"
COMPARE_DRAWN = ("document.querySelectorAll('table td').length > 16"
                 " && document.querySelector('.js-plotly-plot .main-svg')")
RUNS_TABLE, COMPARE = "MLflow runs table, 1,000 runs", "MLflow compare view, 16 runs"


@dataclass
class Peer:
    """The cases to time in the rounds, and how their medians become rows."""

    cases: list
    rows: Callable[[dict[str, float]], list[Result]]


def executable() -> str | None:
    """The ``mlflow`` command of a full MLflow install, or None."""
    found = os.environ.get("CC_MLFLOW") or shutil.which("mlflow")
    return found if found and Path(found).exists() else None


@contextmanager
def _server(mlflow: str, folder: Path):
    port = free_port()
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    log = open(folder / "mlflow.log", "w", encoding="utf-8")  # noqa: SIM115  closed below
    proc = subprocess.Popen(
        [mlflow, "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
         "--default-artifact-root", str(folder / "artifacts")],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                last = [line for line in (folder / "mlflow.log").read_text().splitlines() if line.strip()]
                raise RuntimeError(f"mlflow server exited with {proc.returncode}: {last[-1] if last else ''}")
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mlflow server did not answer within 60 s")
            time.sleep(0.5)
        yield url
    finally:  # mlflow server runs uvicorn as a child: stop the whole group it started
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def log_forest(url: str, doc: dict) -> tuple[str, dict[str, str]]:
    """Log every model as a run nested under its base's; return the experiment id and run ids."""
    with httpx.Client(base_url=url + API, timeout=60) as client:
        def post(path: str, body: dict) -> dict:
            resp = client.post(path, json=body)
            resp.raise_for_status()
            return resp.json()

        exp = post("/experiments/create", {"name": "cc-p1"})["experiment_id"]
        now = int(time.time() * 1000)
        models = doc["models"]

        def create(m: dict) -> str:
            body = {"experiment_id": exp, "run_name": m["id"], "start_time": now}
            return post("/runs/create", body)["run"]["info"]["run_id"]

        with ThreadPoolExecutor(8) as pool:
            ids = dict(zip([m["id"] for m in models], pool.map(create, models), strict=True))

            def fill(m: dict) -> None:
                op = m.get("operation") or {}
                params = [{"key": "operation", "value": str(op.get("name", ""))}]
                params += [{"key": k, "value": str(v)} for k, v in (op.get("parameters") or {}).items()]
                tags = [{"key": "mlflow.parentRunId", "value": ids[m["base"]]}] if m.get("base") else []
                metrics = [{"key": k, "value": float(v), "timestamp": now, "step": 0}
                           for k, v in m["metrics"].items()]
                run = ids[m["id"]]
                post("/runs/log-batch", {"run_id": run, "params": params, "tags": tags, "metrics": metrics})
                post("/runs/update", {"run_id": run, "status": "FINISHED", "end_time": now})

            list(pool.map(fill, models))
    return exp, ids


def start(stack: ExitStack, forest_json: Path, selection: list[str]) -> Peer | None:
    """Serve MLflow with the forest logged; None (and one line) where MLflow is not installed.

    ``selection``: the model ids of our 16-model row, opened in MLflow's compare view."""
    from benchmarks.bench_p1_firstpaint import Case

    mlflow = executable()
    if mlflow is None:
        sys.stderr.write("P1 peer mlflow skipped: no full mlflow install (pip install mlflow, "
                         "or set CC_MLFLOW to its mlflow executable)\n")
        return None
    # the store in memory where there is a tmpfs: logging 1,000 runs is ~3,000 SQLite commits
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(prefix="cc-p1-mlflow-", dir=shm if shm.is_dir() else None))
    stack.callback(shutil.rmtree, folder, True)
    try:  # mlflow-skinny also has an ``mlflow server`` command, but no UI to serve
        url = stack.enter_context(_server(mlflow, folder))
        if "<div id=\"root\"" not in httpx.get(url + "/", timeout=30).text:
            raise RuntimeError(f"{mlflow} serves no UI (mlflow-skinny?)")
        doc = json.loads(forest_json.read_text())
        exp, ids = log_forest(url, doc)
    except (RuntimeError, OSError, httpx.HTTPError) as exc:
        sys.stderr.write(f"P1 peer mlflow skipped: {str(exc).splitlines()[0][:200]}\n")
        return None
    selected = [ids[m] for m in selection]
    compare = (f"{url}/#/compare-runs?runs={quote(json.dumps(selected))}"
               f"&experiments={quote(json.dumps([exp]))}")
    cases = [Case(RUNS_TABLE, f"{url}/#/experiments/{exp}/runs", RUNS_DRAWN, None),
             Case(COMPARE, compare, COMPARE_DRAWN, None)]

    def rows(med: dict[str, float]) -> list[Result]:
        overview = next(k for k in med if k.startswith("Overview 1,000 models"))
        selection = next(k for k in med if "16 selected" in k)
        return [
            Result("P1 peer: Overview 1,000 vs MLflow runs table", med[overview], med[RUNS_TABLE],
                   "ratio <= 0.6", med[overview] / med[RUNS_TABLE] <= 0.6),
            Result("P1 peer: 16 selected vs MLflow compare, 16 runs", med[selection], med[COMPARE],
                   "ratio <= 0.6", med[selection] / med[COMPARE] <= 0.6),
            Result("P1 peer: MLflow runs table (vs bare Dash page)", med[RUNS_TABLE], med["bare"],
                   "shown, no goal", True),
            Result("P1 peer: MLflow compare view (vs bare Dash page)", med[COMPARE], med["bare"],
                   "shown, no goal", True),
        ]

    return Peer(cases, rows)
