"""P9 import: build the forest from 10,000 MLflow runs in a SQLite store, against the plain client.

The baseline is the paging loop anyone writes with MLflow's own client: ``search_runs`` on the
experiment, ``max_results`` at the store's page limit, following page tokens until the last
page, fetching the same runs (params, tags, latest metrics). Ours is everything a config with
``models: {mlflow: ...}`` costs on load: the same paged search, typing params back, parents
from ``cc.base``, operations, checkpoints, then validation and the forest. Ours is faster than
the bare loop because it pages with Python's cyclic garbage collector off (MLflow's ORM builds
~9 objects a run, and the full collections they trigger cost more than the query). Both run on
an opened client (MLflow caches the store per process, as in the app after its first load);
importing mlflow itself (about 2 s) is paid once per process and is in neither clock.

Generating the store writes each run with the client (``create_run``, one ``log_batch`` with its
params, metrics and tags, ``set_terminated``) with SQLite's fsync off, 15-25 ms a run: about 4
minutes for 10,000 runs on 2 cores, so the store is cached under the temporary directory
(``cc-bench-p9/``) keyed by the MLflow version and size. It is built in a side folder renamed
into place when complete; a side folder an interrupted build left is removed by the next one.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.registry import Result, best_of, workload

GOAL_S = 5.0
EXPERIMENT = "p9-import"
OPS = {"prune": {"amount": ["0.25", "0.5", "0.75", "0.9"], "method": ["magnitude", "gradient"]},
       "quantize": {"bits": ["8", "4"], "calibrated": ["true", "false"]},
       "finetune": {"epochs": ["1", "3", "10"], "lr": ["0.001", "0.0001"]}}


def _fast_sqlite(client: Any) -> None:
    """fsync off on the store's connections: generating is the slow part, not what is timed."""
    import sqlalchemy

    engine = client._tracking_client.store.engine

    @sqlalchemy.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.close()

    engine.dispose()


def generate_store(folder: Path, n: int, seed: int = 0, artifacts: Path | None = None) -> Path:
    """A SQLite store with ``n`` finished runs of one experiment: 20 roots, every other run
    derived from an earlier one through ``cc.base``, two params and three metrics (each logged
    at two steps) per run; artifacts (none are written) would go to ``artifacts``. Returns the
    database file."""
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "mlflow.db"
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    _fast_sqlite(client)
    exp = client.create_experiment(EXPERIMENT, artifact_location=(artifacts or folder / "artifacts").as_uri())
    rng = random.Random(seed)
    names: list[str] = []
    for i in range(n):
        name = f"run{i}"
        tags = [RunTag("cc.operation", "train")] if i < 20 else []
        params = [Param("lr", "0.1")] if i < 20 else []
        if i >= 20:
            op = rng.choice(list(OPS))
            tags = [RunTag("cc.base", names[int(len(names) * rng.random() ** 0.5)]),
                    RunTag("cc.operation", op)]
            params = [Param(k, rng.choice(v)) for k, v in OPS[op].items()]
        run = client.create_run(exp, run_name=name)
        now = int(time.time() * 1000)
        acc = rng.uniform(0.5, 0.95)
        metrics = [Metric("accuracy", acc - 0.1, now, 0), Metric("accuracy", acc, now + 1, 1),
                   Metric("loss", 1 - acc + 0.2, now, 0), Metric("loss", 1 - acc, now + 1, 1),
                   Metric("size_mb", rng.uniform(1, 100), now, 0)]
        client.log_batch(run.info.run_id, metrics=metrics, params=params, tags=tags)
        client.set_terminated(run.info.run_id)
        names.append(name)
    client._tracking_client.store.engine.dispose()
    return db


def cached_store(n: int, log: Callable[[str], None] = print) -> Path:
    """The generated store of ``n`` runs, built once per MLflow version under the temp dir."""
    import mlflow

    root = Path(tempfile.gettempdir()) / "cc-bench-p9"
    final = root / f"mlflow{mlflow.__version__}-n{n}-v1"
    if (final / "mlflow.db").is_file():
        return final / "mlflow.db"
    log(f"P9: generating {n:,} MLflow runs into {final} (once; about {n * 0.015 / 60:.0f} min)")
    for left in root.glob(f"{final.name}.tmp*"):  # what an interrupted build left
        shutil.rmtree(left, ignore_errors=True)
    tmp = final.with_name(final.name + f".tmp{os.getpid()}")
    t0 = time.perf_counter()
    generate_store(tmp, n, artifacts=final / "artifacts")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    log(f"P9: generated in {time.perf_counter() - t0:.0f} s")
    return final / "mlflow.db"


def _plain_loop(client: Any, experiment_id: str) -> int:
    """The baseline: MLflow's client paging through the experiment's active runs."""
    from mlflow.entities import ViewType

    runs, token = 0, None
    while True:
        page = client.search_runs([experiment_id], run_view_type=ViewType.ACTIVE_ONLY,
                                  max_results=50_000, page_token=token)
        runs += len(page)
        token = page.token
        if not token:
            return runs


@workload("P9")
def p9_import(quick: bool) -> list[Result]:
    """Import 10,000 runs into a forest vs the client's own paging loop over the same runs."""
    from mlflow.tracking import MlflowClient

    from backend.experiment.loader import load_experiment

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    n = 2_000 if quick else 10_000
    db = cached_store(n)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "experiments.yaml"
        config.write_text(f"name: p9\nmodels:\n  mlflow:\n    tracking_uri: sqlite:///{db}\n"
                          f"    experiment: {EXPERIMENT}\n")
        client = MlflowClient(tracking_uri=f"sqlite:///{db}")
        exp_id = client.get_experiment_by_name(EXPERIMENT).experiment_id
        assert _plain_loop(client, exp_id) == n
        loaded = load_experiment(config, cache_dir=Path(tmp) / "cache")  # warm, as the app after start
        assert len(loaded.forest) == n and len(loaded.forest.roots) == 20
        repeat = 2 if quick else 3
        ours = best_of(lambda: load_experiment(config, cache_dir=Path(tmp) / "cache"), repeat)
        base = best_of(lambda: _plain_loop(client, exp_id), repeat)
    return [Result(f"P9 import {n:,} MLflow runs, SQLite (vs client paging)", ours, base,
                   f"<= {GOAL_S:g} s", ours <= GOAL_S)]
