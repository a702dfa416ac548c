"""MLflow importer: the runs of one experiment become the forest, read through MLflow's own client.

Why: a team that logs its compression runs to MLflow should not also write a models file. A run
is a model; its parent is the run named by its ``cc.base`` tag (a run id or name), else its
nested-run parent (``mlflow.parentRunId``); its operation is the ``cc.operation`` tag, else the
``operation`` param, with the other params typed back from MLflow's text as parameters; its
metrics are the last logged values (or each metric's ``reduce: min|max`` over its history);
its checkpoint is the ``cc.checkpoint`` tag, else the run's local artifact folder ``model``.
Deleted runs are left out; runs that did not finish are shown with their status in the title.

Stores: SQLite (``sqlite:///mlflow.db``) and other databases, folder stores (``./mlruns``, which
MLflow 3 keeps in maintenance mode behind ``MLFLOW_ALLOW_FILE_STORE=true``: accepted, with a
warning) and tracking servers (``http://host:5000``, asked with a short timeout and no retries).
``mlflow-skinny`` (with SQLAlchemy and Alembic for databases) is the optional extra ``[mlflow]``;
it is imported only when a config names this importer.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.util
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from backend.experiment.importers import (
    Imported,
    ModelSource,
    declare_operations,
    finite_or_none,
    select_metrics,
    stat_stamp,
    typed_scalar,
)
from backend.experiment.importers.mlflow_store import (
    Problem,
    Store,
    check_local,
    mlflow_env,
    reason,
    release,
    resolve_store,
)
from backend.experiment.messages import name
from backend.experiment.schema import MetricSpec, MlflowImport, did_you_mean
from backend.experiment.times import from_epoch_ms
from backend.infra.fork_gate import GATE

EXTRA = "pip install 'compress-and-compare-dash[mlflow]'"
MISSING = ("MLflow is not installed: this importer needs the optional extra [mlflow] "
           f"(mlflow-skinny, sqlalchemy, alembic): {EXTRA}")
BASE_TAG, OPERATION_TAG, CHECKPOINT_TAG = "cc.base", "cc.operation", "cc.checkpoint"
OPERATION_PARAM, PARENT_TAG = "operation", "mlflow.parentRunId"
PAGE = 50_000  # MLflow's largest page (SEARCH_MAX_RESULTS_THRESHOLD)
_FOLDER_RESERVED = {"tags", "datasets", "traces", "models", ".trash"}


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic collector off while a page of runs is built: MLflow's ORM makes ~9 objects per
    run, and the full collections they trigger cost more than the query (4.5 s vs 1.9 s for
    10,000 runs). Nothing cyclic is freed late: the collector runs again right after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _experiment(client: Any, wanted: str, store: Store) -> Any:
    """The experiment by name, else by id; a problem with 'did you mean' among the store's names."""
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(wanted)
    if found is None and wanted.isdigit():
        try:
            found = client.get_experiment(wanted)
        except MlflowException as exc:
            if getattr(exc, "error_code", "") != "RESOURCE_DOES_NOT_EXIST":
                raise
    if found is None:
        names = [e.name for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY, max_results=1000)]
        hint = did_you_mean(wanted, names) or (f" (it has {', '.join(repr(n) for n in names[:5])}"
                                               f"{', ...' if len(names) > 5 else ''})" if names else "")
        raise Problem(f"no experiment named or numbered '{name(wanted)}' in {store.shown}{hint}")
    if found.lifecycle_stage == "deleted":
        raise Problem(f"experiment '{name(wanted)}' is deleted (mlflow experiments restore brings it back)")
    return found


def _all_runs(client: Any, experiment_id: str) -> list[Any]:
    """Every active run, paged at MLflow's largest page size."""
    from mlflow.entities import ViewType

    runs: list[Any] = []
    token = None
    while True:
        with _no_gc():
            page = client.search_runs([experiment_id], run_view_type=ViewType.ACTIVE_ONLY,
                                      max_results=PAGE, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def _probe(store: Store, experiment_id: str, timeout: float) -> Any:
    """What the source's stamp is made of: stat calls for local stores, two one-run queries for
    a server or database (the newest started and the newest ended run)."""
    if store.kind == "sqlite":
        db = store.path
        assert db is not None
        main = stat_stamp(db)
        if main is None:
            return None
        return (main, *(stat_stamp(db.with_name(db.name + end)) for end in ("-wal", "-journal")))
    if store.kind == "folder":
        assert store.path is not None
        return _folder_digest(store.path / experiment_id)
    from mlflow.tracking import MlflowClient

    with mlflow_env(store, min(timeout, 2.0)):
        client = MlflowClient(tracking_uri=store.uri)
        newest = [r.info for order in ("start_time", "end_time")
                  for r in client.search_runs([experiment_id], max_results=1,
                                              order_by=[f"attributes.{order} DESC"])]
    return tuple((i.run_id, i.status, i.end_time) for i in newest)


def _folder_digest(folder: Path) -> tuple | None:
    """A digest of every run's meta.yaml, params, tags and metric files (their times and sizes):
    a new run, a finished or deleted one, a new tag or metric value all change it."""
    digest = hashlib.blake2b(digest_size=16)
    try:
        top = folder.stat()
        with os.scandir(folder) as entries:
            runs = sorted((e for e in entries if e.is_dir() and e.name not in _FOLDER_RESERVED),
                          key=lambda e: e.name)
    except OSError:
        return None
    for run in runs:
        for sub in ("meta.yaml", "params", "tags", "metrics"):
            try:
                st = os.stat(os.path.join(run.path, sub))
            except OSError:
                continue
            digest.update(f"{run.name}/{sub}:{st.st_mtime_ns}:{st.st_size};".encode())
        try:
            with os.scandir(os.path.join(run.path, "metrics")) as files:
                for metric in files:
                    st = metric.stat()
                    digest.update(f"{metric.name}:{st.st_mtime_ns}:{st.st_size};".encode())
        except OSError:
            continue
    return (top.st_mtime_ns, len(runs), digest.hexdigest())


def _local_artifacts(uri: str | None, near: Path | None) -> Path | None:
    """A run's artifact folder when it is on this machine (file: URI or a plain path), else None."""
    if not uri:
        return None
    if uri.startswith("file:"):
        return Path(url2pathname(urlparse(uri).path))
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", uri) and not re.match(r"^[A-Za-z]:[\\/]", uri):
        return None  # s3:, mlflow-artifacts:, dbfs:... not a local folder
    path = Path(uri)
    return path if path.is_absolute() or near is None else near / path


def _label(run: Any) -> str:
    rid = run.info.run_id
    rname = run.info.run_name
    return f"run '{name(rname)}' ({rid})" if rname else f"run {rid}"


def import_mlflow(spec: MlflowImport, config_path: Path, metrics: list[MetricSpec],
                  operations: set[str]) -> Imported:
    """The models document of one MLflow experiment (see the module's docstring)."""
    where = f"{config_path}: models.mlflow"
    out = Imported()
    try:  # what the config says is checked first: a missing file is named with or without MLflow
        store = resolve_store(spec.tracking_uri, config_path.parent.absolute())
        if store.path is not None:
            with GATE.shared():  # no fork while this thread is inside SQLite
                check_local(store)
    except Problem as exc:
        out.problems.append(f"{where}.tracking_uri: {exc}")
        return out
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        out.problems.append(f"{where}: {MISSING}")
        return out
    if store.kind in ("sqlite", "database") and not all(importlib.util.find_spec(m) for m in
                                                        ("sqlalchemy", "alembic")):
        out.problems.append(f"{where}: a database store needs SQLAlchemy and Alembic, in the optional "
                            f"extra [mlflow]: {EXTRA}")
        return out
    if store.kind == "folder":
        out.warnings.append(f"{where}.tracking_uri: {name(store.path, 300)} is an MLflow folder store, "
                            "which MLflow 3 keeps in maintenance mode; read with "
                            "MLFLOW_ALLOW_FILE_STORE=true (mlflow migrate-filestore moves it to a database)")
    wanted = str(spec.experiment)
    client = None
    # inside the fork gate: a background job is never forked while this thread is inside SQLite
    # (SQLAlchemy's pool included) or holds the environment lock; the child would inherit them held
    with GATE.shared(), mlflow_env(store, spec.timeout):
        try:
            client = MlflowClient(tracking_uri=store.uri)
            experiment = _experiment(client, wanted, store)
            eid = experiment.experiment_id
            interval, retry = (2.0, 30.0) if store.kind in ("server", "database") else (0.0, 0.0)
            out.source = ModelSource(config_path, lambda: _probe(store, eid, spec.timeout), interval, retry)
            out.stamp = out.source.fresh_stamp()  # before reading: a run logged meanwhile re-reads
            runs = _all_runs(client, eid)
            reduce = {m.name: m.reduce for m in metrics if m.reduce in ("min", "max")}
            histories = _histories(client, runs, reduce)
        except Problem as exc:
            out.problems.append(f"{where}.experiment: {exc}")
            return out
        except Exception as exc:  # noqa: BLE001 - any client failure is one line naming the store
            out.problems.append(_failure(where, store, spec, exc))
            return out
        finally:
            if client is not None:
                release(client)
    out.document = _document(runs, histories, reduce, experiment.name, store, config_path, metrics,
                             operations, out)
    return out


def _failure(where: str, store: Store, spec: MlflowImport, exc: BaseException) -> str:
    text = str(exc)
    retries = os.environ.get("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # 0 unless the user set it
    retries = "no" if retries == "0" else retries
    if store.kind == "server" and ("failed with exception" in text or "Connection" in type(exc).__name__
                                   or "Timeout" in type(exc).__name__):
        return (f"{where}.tracking_uri: cannot reach the tracking server {store.shown} "
                f"({reason(exc)}; timeout {spec.timeout:g} s, {retries} retries)")
    return f"{where}: reading {store.shown} failed: {type(exc).__name__}: {reason(exc)}"


def _histories(client: Any, runs: list[Any], reduce: dict[str, str]) -> dict[tuple[str, str], float | None]:
    """min or max over each (run, metric) history, only for metrics whose reduce asks for it."""
    out: dict[tuple[str, str], float | None] = {}
    for run in runs:
        for key, how in reduce.items():
            if key in run.data.metrics:
                values = [v for m in client.get_metric_history(run.info.run_id, key)
                          if (v := finite_or_none(m.value)) is not None]
                best = (min(values) if how == "min" else max(values)) if values else None
                out[(run.info.run_id, key)] = best
    return out


def _document(runs: list[Any], histories: dict, reduce: dict[str, str], experiment: str, store: Store,
              config_path: Path, metrics: list[MetricSpec], operations: set[str],
              out: Imported) -> dict[str, Any]:
    """Runs -> the models document: ids, parents, operations, metrics, checkpoints, statuses."""
    where = f"{config_path}: models.mlflow"
    runs = sorted(runs, key=lambda r: (r.info.start_time or 0, r.info.run_id))
    names = Counter(r.info.run_name for r in runs if r.info.run_name)
    ids = {r.info.run_id: (r.info.run_name if r.info.run_name and names[r.info.run_name] == 1
                           else r.info.run_id) for r in runs}
    by_name: dict[str, list[str]] = {}
    for r in runs:
        if r.info.run_name:
            by_name.setdefault(r.info.run_name, []).append(r.info.run_id)
    declared = {m.name: m for m in metrics}
    near = store.path.parent if store.kind == "sqlite" and store.path else store.path
    here = config_path.parent.absolute()  # absolute: the loader joins a relative checkpoint once more
    not_finite: dict[str, list[str]] = {}
    logged: set[str] = set()
    entries = []
    for run in runs:
        info, data = run.info, run.data
        mid = ids[info.run_id]
        tags, params = data.tags, data.params
        base = None
        if ref := (tags.get(BASE_TAG) or "").strip():
            if ref in ids:
                base = ids[ref]
            elif len(by_name.get(ref, ())) == 1:
                base = ids[by_name[ref][0]]
            elif ref in by_name:
                out.problems.append(f"{where}: {_label(run)}: tag {BASE_TAG}: '{name(ref)}' names "
                                    f"{len(by_name[ref])} runs; give the run id")
            else:
                out.problems.append(f"{where}: {_label(run)}: tag {BASE_TAG}: '{name(ref)}' names no run of "
                                    f"experiment '{name(experiment)}' (deleted runs are left out)"
                                    f"{did_you_mean(ref, by_name)}")
        elif parent := tags.get(PARENT_TAG):
            if parent in ids:
                base = ids[parent]
            else:
                out.warnings.append(f"{where}: {_label(run)}: its parent run {name(parent)} is not an "
                                    "active run of the experiment; shown as a root")
        op_name = (tags.get(OPERATION_TAG) or params.get(OPERATION_PARAM) or "").strip()
        operation = None
        if op_name:
            operation = {"name": op_name, "parameters": {k: typed_scalar(v) for k, v in params.items()
                                                          if k != OPERATION_PARAM}}
        values: dict[str, float | None] = {}
        for key, raw in data.metrics.items():
            logged.add(key)
            value = histories.get((info.run_id, key)) if key in reduce else finite_or_none(raw)
            if value is None and key not in reduce:
                not_finite.setdefault(key, []).append(mid)
            values[key] = value
        entry: dict[str, Any] = {"id": mid, "base": base, "metrics": select_metrics(values, declared)}
        if operation is not None:
            entry["operation"] = operation
        if info.status != "FINISHED":
            entry["tag"] = f"{mid} ({info.status})"
        if created := from_epoch_ms(info.start_time):
            entry["created"] = created
        if ckpt := (tags.get(CHECKPOINT_TAG) or "").strip():
            path = Path(ckpt).expanduser()
            entry["checkpoint"] = str(path if path.is_absolute() else here / path)
        elif (artifacts := _local_artifacts(info.artifact_uri, near)) and os.path.isdir(artifacts / "model"):
            entry["checkpoint"] = str(artifacts / "model")
        entries.append(entry)
    for key, models in not_finite.items():
        if not declared or key in declared:
            out.warnings.append(f"{where}: metric '{name(key)}': {len(models)} run(s) logged a value that is "
                                f"not a finite number (first: '{name(models[0])}'); shown as missing")
    if runs:
        for spec in metrics:
            if spec.name not in logged:
                out.warnings.append(f"{config_path}: metrics: '{name(spec.name)}' is logged by no run of "
                                    f"experiment '{name(experiment)}'{did_you_mean(spec.name, logged)}")
    return {"name": experiment, "operations": declare_operations(entries, operations), "metrics": [],
            "models": entries}
