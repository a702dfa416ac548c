"""ExperimentLog writes a models file the app loads, atomically, with one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.experiment.loader import load_experiment
from backend.experiment.tracking import ExperimentLog


def _log(tmp_path: Path) -> ExperimentLog:
    log = ExperimentLog(tmp_path / "run" / "models.yaml", name="My run")
    log.set_metric("Accuracy", primary=True, format=".2%", min=0, max=1, higher_is_better=True)
    log.set_operation("prune", amount={"format": ".0%"})
    log.log_model("base", metrics={"Accuracy": 0.91}, checkpoint=tmp_path / "run" / "ckpt" / "base.pt")
    log.log_model("p50", base="base", operation=("prune", {"amount": 0.5}), metrics={"Accuracy": 0.9})
    return log


def test_log_is_loadable_and_reopenable(tmp_path: Path):
    log = _log(tmp_path)
    forest = load_experiment(log.path).forest
    assert forest.name == "My run" and forest.ids == ["base", "p50"]
    assert forest["p50"].operation.parameters == {"amount": 0.5}
    assert forest["base"].checkpoint == tmp_path / "run" / "ckpt" / "base.pt"
    again = ExperimentLog(log.path)  # a second script appends to the same file
    again.log_model("p50-ft", base="p50", operation="fine-tune", metrics={"Accuracy": 0.92})
    forest = load_experiment(log.path).forest
    assert forest.ids == ["base", "p50", "p50-ft"] and "fine-tune" in forest.operations
    assert not list(log.path.parent.glob(".*.tmp"))  # no temporary file left behind


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"model_id": "base"}, "model 'base': id: duplicate id (ids must be unique)"),
    ({"model_id": "x", "base": "bsae"}, "model 'x': base: 'bsae' is not a logged model (did you mean 'base'?)"),
    ({"model_id": "x", "metrics": {"Acuracy": 1}}, "model 'x': metrics.Acuracy: metric is not declared with set_metric (did you mean 'Accuracy'?)"),
    ({"model_id": "x", "metrics": {"Accuracy": float("nan")}}, "model 'x': metrics.Accuracy: must be a finite number, got nan"),
    ({"model_id": "x", "operation": ("prune", {"amount": [1]})}, "model 'x': operation.parameters.amount: must be a scalar, got [1]"),
])
def test_bad_models_are_refused_in_one_line(tmp_path: Path, kwargs: dict, message: str):
    log = _log(tmp_path)
    with pytest.raises(ValueError) as info:
        log.log_model(**kwargs)
    assert str(info.value) == f"{log.path}: {message}"
    assert load_experiment(log.path).forest.ids == ["base", "p50"]  # nothing half-written


def test_app_rereads_a_growing_models_file(tmp_path: Path):
    import time

    from app import create_app
    from server.context import experiment

    log = _log(tmp_path)
    app = create_app(log.path, tmp_path / "cache")
    with app.server.app_context():
        assert experiment().forest.ids == ["base", "p50"]
        time.sleep(0.01)
        log.log_model("p75", base="base", operation=("prune", {"amount": 0.75}), metrics={"Accuracy": 0.8})
        assert experiment().forest.ids == ["base", "p50", "p75"]  # the next page load sees it
        first = experiment()
        assert experiment() is first  # unchanged file: not re-read
