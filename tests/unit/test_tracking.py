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


def test_declarations_are_checked_when_logged(tmp_path: Path):
    log = ExperimentLog(tmp_path / "models.yaml")
    with pytest.raises(ValueError) as info:
        log.set_metric("Accuracy", format=".2q")
    assert str(info.value) == (f"{log.path}: metric 'Accuracy': format: '.2q' has an unknown d3-format "
                               "type 'q' (one of e f g r s % p b o d x X c n)")
    with pytest.raises(ValueError, match=r"metric 'Accuracy': min: 1 is above max 0 \(a range needs min <= max\)"):
        log.set_metric("Accuracy", min=1, max=0)
    with pytest.raises(ValueError, match=r"operation 'prune': parameters.amount.format: '%%' is not a d3"):
        log.set_operation("prune", amount={"format": "%%"})
    log.set_metric("Accuracy", min=0, max=1)
    with pytest.raises(ValueError) as info:
        log.log_model("base", metrics={"Accuracy": 91.0})  # a percentage where a fraction belongs
    assert str(info.value) == (f"{log.path}: model 'base': metrics.Accuracy: 91 is outside the declared "
                               "range [0, 1] of 'Accuracy'")
    assert load_experiment(log.path).forest.ids == []


def test_a_config_can_make_a_logged_metric_primary(tmp_path: Path):
    """The log leaves primary=False out, so a config that adds primary: true merges, not conflicts."""
    log = ExperimentLog(tmp_path / "models.yaml")
    log.set_metric("Accuracy", format=".2%")
    log.log_model("base", metrics={"Accuracy": 0.9})
    (tmp_path / "experiments.yaml").write_text("name: t\nmodels: models.yaml\n"
                                               "metrics: [{name: Accuracy, primary: true}]\n")
    spec = load_experiment(tmp_path / "experiments.yaml").forest.metric("Accuracy")
    assert spec.primary and spec.format == ".2%"


def test_app_starts_on_an_empty_live_experiment_and_shows_the_first_model(tmp_path: Path):
    """A live ExperimentLog before its first model: the app starts, the Overview says so, and the
    first model appears on the next page load (server.context re-reads the changed file)."""
    from app import create_app
    from components.shared import ids
    from tests.support.renderer import Renderer

    log = ExperimentLog(tmp_path / "run" / "models.yaml", name="Live run")  # creates the empty file
    assert log.path.is_file()
    app = create_app(log.path, tmp_path / "cache")
    page = Renderer.for_flask(app.server)
    empty = page.open("/")
    assert empty.status == 200 and empty.prop(ids.OV_EMPTY, "children") == "No models yet"
    assert f"This experiment's models file ({log.path}) is empty; models appear here as they are logged" \
        in empty.text
    for dep in page.initial_callbacks(empty):  # what the browser fires next still answers
        assert page.call(empty, dep).status in (200, 204), dep["output"]
    for path in ("/behaviors", "/layers", "/?sel=nope"):
        assert page.open(path).status == 200, path
    log.set_metric("Accuracy", primary=True, format=".2%", min=0, max=1)
    log.log_model("base", metrics={"Accuracy": 0.91})
    first = page.open("/?sel=base")
    assert first.status == 200 and first.prop(ids.OV_EMPTY, "children") is None
    assert "1 Model Selected: base" in first.text


def test_a_model_logged_before_the_first_page_load_shows(tmp_path: Path):
    """The file is compared with what was loaded at start-up, not with its state at the first
    request: a model logged in between used to stay hidden until the next write."""
    from app import create_app
    from server.context import experiment

    log = ExperimentLog(tmp_path / "models.yaml")
    app = create_app(log.path, tmp_path / "cache")
    log.log_model("early")
    with app.server.app_context():
        assert experiment().forest.ids == ["early"]


@pytest.mark.parametrize(("operation", "message"), [
    (("prnue", {"amount": 0.5}), "operation.name: 'prnue' is not a declared operation (did you mean 'prune'?)"),
    (("prune", {"amout": 0.5}), "operation.parameters.amout: operation 'prune' declares no parameter 'amout' "
                                "(did you mean 'amount'?)"),
    (("prune", {"amount": float("nan")}), "operation.parameters.amount: must be a finite number, got nan "
                                          "(use null for a missing value)"),
])
def test_a_logged_model_never_makes_the_file_one_the_app_refuses(tmp_path: Path, operation, message: str):
    log = _log(tmp_path)
    with pytest.raises(ValueError) as info:
        log.log_model("x", base="base", operation=operation)
    assert str(info.value) == f"{log.path}: model 'x': {message}"
    assert [o["name"] for o in log.doc["operations"]] == ["prune"]  # nothing declared on the way
    assert load_experiment(log.path).forest.ids == ["base", "p50"]
