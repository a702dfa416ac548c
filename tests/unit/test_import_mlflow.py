"""The MLflow importer on real stores written with MLflow's own client: a SQLite store and a
folder store with nested runs, cc.* tags, params, metrics logged several times, a deleted run,
a failed and a running run; new runs appear on re-read; bad inputs are one line each."""

from __future__ import annotations

import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.experiment.check import check_experiment
from backend.experiment.errors import ConfigError
from backend.experiment.importers import typed_scalar
from backend.experiment.loader import collect, load_experiment

try:
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient
    from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID
except ImportError:  # only the test that MLflow's absence is one line runs
    MlflowClient = None  # type: ignore[assignment,misc]

needs_mlflow = pytest.mark.skipif(MlflowClient is None, reason="the [mlflow] extra (mlflow-skinny) is not installed")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


def _run(client: MlflowClient, exp: str, run_name: str, *, params: dict | None = None, tags: dict | None = None,
         metrics: dict[str, list[float]] | None = None, status: str | None = "FINISHED") -> str:
    run = client.create_run(exp, run_name=run_name, tags=tags or {})
    rid = run.info.run_id
    now = int(time.time() * 1000)
    client.log_batch(rid, metrics=[Metric(k, v, now + step, step) for k, vs in (metrics or {}).items()
                                   for step, v in enumerate(vs)],
                     params=[Param(k, str(v)) for k, v in (params or {}).items()])
    if status is not None:
        client.set_terminated(rid, status=status)
    return rid


def _log_story(client: MlflowClient, exp: str) -> dict[str, str]:
    """The experiment every test reads: a trained base, a pruned child named by cc.base, a
    nested sweep, a child named by run id, a deleted, a failed and a running run."""
    ids = {}
    ids["base"] = _run(client, exp, "base", params={"lr": 0.1, "epochs": 3, "pretrained": True},
                       tags={"cc.operation": "train"},
                       metrics={"acc": [0.5, 0.8, 0.7], "loss": [1.0, 0.4, 0.6]})
    ids["pruned"] = _run(client, exp, "pruned", params={"operation": "prune", "amount": 0.5, "method": "l1"},
                         tags={"cc.base": "base", "cc.checkpoint": "ckpt/pruned.pt"},
                         metrics={"acc": [0.6, 0.75], "loss": [0.9, 0.5]})
    ids["sweep"] = _run(client, exp, "sweep", tags={"cc.base": "pruned"})
    ids["q8"] = _run(client, exp, "q8", params={"bits": 8}, metrics={"acc": [0.74]},
                     tags={MLFLOW_PARENT_RUN_ID: ids["sweep"], "cc.operation": "quantize"})
    ids["by-id"] = _run(client, exp, "by-id", params={"epochs": 1}, metrics={"acc": [0.77]},
                        tags={"cc.base": ids["pruned"], "cc.operation": "finetune"})
    ids["gone"] = _run(client, exp, "gone", tags={"cc.base": "base"})
    client.delete_run(ids["gone"])
    ids["broken"] = _run(client, exp, "broken", tags={"cc.base": "base", "cc.operation": "prune"},
                         params={"amount": 0.99}, status="FAILED")
    ids["live"] = _run(client, exp, "live", tags={"cc.base": "base", "cc.operation": "prune"},
                       params={"amount": 0.9}, metrics={"acc": [0.3]}, status=None)
    return ids


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A SQLite store (its folder) with the story, an artifact folder 'model' for the base."""
    root = tmp_path_factory.mktemp("mlflow-sqlite")
    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}")
    exp = client.create_experiment("resnet-compression", artifact_location=(root / "artifacts").as_uri())
    ids = _log_story(client, exp)
    (root / "artifacts" / ids["base"] / "artifacts" / "model").mkdir(parents=True)
    dup = client.create_experiment("duplicates")
    ids["dup1"] = _run(client, dup, "dup")
    ids["dup2"] = _run(client, dup, "dup", tags={"cc.base": ids["dup1"]})
    cycle = client.create_experiment("cycle")
    _run(client, cycle, "a", tags={"cc.base": "b"})
    _run(client, cycle, "b", tags={"cc.base": "a"})
    _run(client, cycle, "root")
    bad = client.create_experiment("bad-base")
    _run(client, bad, "root")
    _run(client, bad, "child", tags={"cc.base": "rooot"})
    return root, ids


def _config(folder: Path, uri: str, experiment: str = "resnet-compression", extra: str = "") -> Path:
    path = folder / "experiments.yaml"
    path.write_text(f"name: imported\nmodels:\n  mlflow:\n    tracking_uri: {uri}\n"
                    f"    experiment: {experiment}\n{extra}")
    return path


@needs_mlflow
def test_sqlite_store_builds_the_forest(sqlite_store, tmp_path: Path):
    root, ids = sqlite_store
    config = _config(root, "sqlite:///mlflow.db")  # relative to the config's folder
    forest = load_experiment(config, cache_dir=tmp_path).forest
    assert sorted(forest.ids) == sorted(["base", "pruned", "sweep", "q8", "by-id", "broken", "live"])  # not 'gone'
    assert forest.roots == ["base"]
    assert {m: forest.parent(m) for m in forest.ids} == {
        "base": None, "pruned": "base", "sweep": "pruned", "q8": "sweep", "by-id": "pruned",
        "broken": "base", "live": "base"}
    assert forest["base"].operation.name == "train"
    assert dict(forest["base"].operation.parameters) == {"lr": 0.1, "epochs": 3, "pretrained": True}
    assert forest["pruned"].operation.name == "prune"  # from the 'operation' param, which is not a parameter
    assert dict(forest["pruned"].operation.parameters) == {"amount": 0.5, "method": "l1"}
    assert forest["sweep"].operation is None and forest["q8"].operation.parameters == {"bits": 8}
    assert dict(forest["base"].metrics) == {"acc": 0.7, "loss": 0.6}  # the last logged values
    assert forest["broken"].title == "broken (FAILED)" and forest["live"].title == "live (RUNNING)"
    assert forest["base"].tag is None
    assert forest["base"].checkpoint == root / "artifacts" / ids["base"] / "artifacts" / "model"
    assert forest["pruned"].checkpoint == root / "ckpt" / "pruned.pt"
    assert forest["q8"].checkpoint is None


@needs_mlflow
def test_created_is_each_runs_start_time(sqlite_store, tmp_path: Path):
    root, ids = sqlite_store
    forest = load_experiment(_config(root, "sqlite:///mlflow.db"), cache_dir=tmp_path).forest
    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}")
    for mid in ("base", "pruned", "live"):
        started = client.get_run(ids[mid]).info.start_time  # milliseconds since the epoch, UTC
        assert forest[mid].created == datetime.fromtimestamp(started // 1000, UTC), mid


@needs_mlflow
def test_reduce_min_max_and_declared_metrics(sqlite_store, tmp_path: Path):
    root, _ = sqlite_store
    config = _config(root, f"sqlite:///{root / 'mlflow.db'}", extra=(
        "metrics:\n  - {name: acc, reduce: max, format: '.1%'}\n  - {name: loss, reduce: min}\n"
        "  - {name: acuracy}\n"))
    found = collect(config, tmp_path)
    assert found.problems == []
    forest = found.experiment.forest
    assert dict(forest["base"].metrics) == {"acc": 0.8, "loss": 0.4}
    assert dict(forest["pruned"].metrics) == {"acc": 0.75, "loss": 0.5}
    assert [m.name for m in forest.metrics] == ["acc", "loss", "acuracy"]
    assert f"{config}: metrics: 'acuracy' is logged by no run of experiment 'resnet-compression' " \
           "(did you mean 'acc'?)" in found.warnings


@needs_mlflow
def test_duplicate_run_names_use_run_ids(sqlite_store, tmp_path: Path):
    root, ids = sqlite_store
    forest = load_experiment(_config(root, "sqlite:///mlflow.db", "duplicates"), cache_dir=tmp_path).forest
    assert sorted(forest.ids) == sorted([ids["dup1"], ids["dup2"]])
    assert forest.parent(ids["dup2"]) == ids["dup1"]


@needs_mlflow
def test_experiment_by_id(sqlite_store, tmp_path: Path):
    root, ids = sqlite_store
    eid = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}").get_run(ids["base"]).info.experiment_id
    assert len(load_experiment(_config(root, "sqlite:///mlflow.db", eid), cache_dir=tmp_path).forest) == 7


def test_typed_parameters():
    assert [typed_scalar(t) for t in ("0.5", "true", "True", "3", "-2", "1e-3", "None", "l1", "nan", "007",
                                      "inf", "1.2.3", "")] == \
        [0.5, True, True, 3, -2, 0.001, None, "l1", "nan", "007", "inf", "1.2.3", ""]


@needs_mlflow
def test_check_passes_and_reports_a_missing_checkpoint(sqlite_store, tmp_path: Path):
    root, _ = sqlite_store
    report = check_experiment(_config(root, "sqlite:///mlflow.db"), cache_dir=tmp_path)
    assert report.problems == [f"{root / 'experiments.yaml'}: model 'pruned': checkpoint: file not found: "
                               f"{root / 'ckpt' / 'pruned.pt'}"]
    (root / "ckpt").mkdir(exist_ok=True)
    (root / "ckpt" / "pruned.pt").write_bytes(b"x")
    assert check_experiment(_config(root, "sqlite:///mlflow.db"), cache_dir=tmp_path).ok


@needs_mlflow
def test_new_run_appears_on_the_next_page_load(tmp_path: Path, caplog):
    """The app re-reads the store when it changes; a store that turns bad keeps the last good
    models and logs one line."""
    import logging

    from app import create_app
    from server.context import experiment

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = client.create_experiment("growing")
    _run(client, exp, "base", metrics={"acc": [0.9]})
    config = _config(tmp_path, "sqlite:///mlflow.db", "growing")
    app = create_app(config, tmp_path / "cache")
    with app.server.app_context():
        first = experiment()
        assert first.forest.ids == ["base"]
        assert experiment() is first  # nothing changed: not re-read
        _run(client, exp, "p50", tags={"cc.base": "base", "cc.operation": "prune"}, params={"amount": 0.5},
             metrics={"acc": [0.85]})
        assert experiment().forest.ids == ["base", "p50"]
        client.delete_run(client.search_runs([exp], filter_string="attributes.run_name = 'p50'")[0].info.run_id)
        assert experiment().forest.ids == ["base"]
        _run(client, exp, "orphan", tags={"cc.base": "nobody"})
        with caplog.at_level(logging.WARNING, logger="server.context"):
            assert experiment().forest.ids == ["base"]  # the last good models, still served
        [logged] = [r.getMessage() for r in caplog.records]
        assert f"{config}: models.mlflow: run 'orphan' (" in logged and "'nobody' names no run" in logged


@pytest.fixture(scope="module")
def folder_store(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("mlflow-folder")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        client = MlflowClient(tracking_uri=str(root / "mlruns"))
        exp = client.create_experiment("resnet-compression")
        ids = _log_story(client, exp)
    return root, ids


@needs_mlflow
def test_folder_store_builds_the_same_forest_with_a_warning(folder_store, monkeypatch, tmp_path: Path):
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)  # the importer sets it for its own calls
    root, ids = folder_store
    config = _config(root, "./mlruns")
    found = collect(config, tmp_path)
    assert found.problems == []
    forest = found.experiment.forest
    assert forest.parent("q8") == "sweep" and forest.parent("by-id") == "pruned" and "gone" not in forest
    assert dict(forest["base"].metrics) == {"acc": 0.7, "loss": 0.6}
    assert forest["broken"].title == "broken (FAILED)"
    assert forest["base"].checkpoint is None  # no 'model' artifact folder in this store
    warning = [w for w in found.warnings if "folder store" in w]
    assert len(warning) == 1 and warning[0].startswith(f"{config}: models.mlflow.tracking_uri: ")
    assert "maintenance mode" in warning[0] and "MLFLOW_ALLOW_FILE_STORE=true" in warning[0]
    import os

    assert "MLFLOW_ALLOW_FILE_STORE" not in os.environ
    stamp = found.experiment.current_stamp()
    with monkeypatch.context() as patch:
        patch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        client = MlflowClient(tracking_uri=str(root / "mlruns"))
        client.log_metric(ids["live"], "acc", 0.35)
    assert found.experiment.source.fresh_stamp() != stamp  # a metric logged to a running run re-reads


# --- bad inputs: one line each, naming the run, folder or option ----------------------------------
def _problems(config: Path, tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_experiment(config, cache_dir=tmp_path / "cache")
    assert all("\n" not in p and p.startswith(f"{config}: ") for p in info.value.problems), info.value.problems
    return [p[len(f"{config}: "):] for p in info.value.problems]


@needs_mlflow
def test_unknown_experiment_says_did_you_mean(sqlite_store, tmp_path: Path):
    root, _ = sqlite_store
    config = _config(tmp_path, f"sqlite:///{root / 'mlflow.db'}", "resnet-compresion")
    assert _problems(config, tmp_path) == [
        f"models.mlflow.experiment: no experiment named or numbered 'resnet-compresion' in "
        f"sqlite:///{root / 'mlflow.db'} (did you mean 'resnet-compression'?)"]


@needs_mlflow
def test_cc_base_naming_no_run(sqlite_store, tmp_path: Path):
    root, _ = sqlite_store
    config = _config(tmp_path, f"sqlite:///{root / 'mlflow.db'}", "bad-base")
    [line] = _problems(config, tmp_path)
    assert line.startswith("models.mlflow: run 'child' (")
    assert line.endswith("): tag cc.base: 'rooot' names no run of experiment 'bad-base' (deleted runs are "
                         "left out) (did you mean 'root'?)")


@needs_mlflow
def test_cycle_through_cc_base(sqlite_store, tmp_path: Path):
    root, _ = sqlite_store
    config = _config(tmp_path, f"sqlite:///{root / 'mlflow.db'}", "cycle")
    [line] = _problems(config, tmp_path)
    assert line.startswith("model '") and "base: cycle of base links: " in line
    assert set(line.split(": ")[-1].split(" -> ")) == {"a", "b"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed when the socket is: nothing listens there


@needs_mlflow
def test_unreachable_tracking_server_fails_fast(tmp_path: Path):
    port = _closed_port()
    config = _config(tmp_path, f"http://127.0.0.1:{port}", extra="")
    config.write_text(config.read_text().replace("    experiment:", "    timeout: 2\n    experiment:"))
    start = time.monotonic()
    [line] = _problems(config, tmp_path)
    assert time.monotonic() - start < 15
    assert line.startswith(f"models.mlflow.tracking_uri: cannot reach the tracking server http://127.0.0.1:{port} (")
    assert line.endswith("; timeout 2 s, no retries)")


def test_missing_and_foreign_stores_are_refused_untouched(tmp_path: Path):
    config = _config(tmp_path, "sqlite:///nowhere.db")
    assert _problems(config, tmp_path) == [f"models.mlflow.tracking_uri: SQLite file not found: {tmp_path / 'nowhere.db'}"]
    assert not (tmp_path / "nowhere.db").exists()  # MLflow would have created it
    import sqlite3

    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("CREATE TABLE t (x)")
    before = (tmp_path / "other.db").read_bytes()
    config = _config(tmp_path, "sqlite:///other.db")
    assert _problems(config, tmp_path) == [f"models.mlflow.tracking_uri: {tmp_path / 'other.db'} is not an MLflow "
                                           "database (no experiments and runs tables)"]
    assert (tmp_path / "other.db").read_bytes() == before
    config = _config(tmp_path, "./no-store")
    assert _problems(config, tmp_path) == [f"models.mlflow.tracking_uri: folder store not found: {tmp_path / 'no-store'}"]


def test_option_typos_and_importer_names(tmp_path: Path):
    config = tmp_path / "experiments.yaml"
    config.write_text("name: t\nmodels:\n  mlflow:\n    tracking_url: sqlite:///x.db\n    experiment: e\n")
    assert sorted(_problems(config, tmp_path)) == sorted([
        "models.mlflow.tracking_uri: is required",
        "models.mlflow.tracking_url: unknown key (did you mean 'tracking_uri'?) (the mlflow importer takes "
        "experiment, timeout, tracking_uri)"])
    config.write_text("name: t\nmodels:\n  mlfow: {tracking_uri: x, experiment: e}\n")
    assert _problems(config, tmp_path) == [
        "models: unknown importer 'mlfow' (did you mean 'mlflow'?): a mapping here names one importer, mlflow "
        "(tracking_uri, experiment) or huggingface (folder); or give a list of models or the path of a models file"]


def test_mlflow_not_installed_names_the_extra(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)  # what an absent package raises on import
    config = _config(tmp_path, "http://127.0.0.1:1")
    assert _problems(config, tmp_path) == [
        "models.mlflow: MLflow is not installed: this importer needs the optional extra [mlflow] (mlflow-skinny, "
        "sqlalchemy, alembic): pip install 'compress-and-compare-dash[mlflow]'"]
