"""Launching from a map node: schema checks (one line each) and real demo operations end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from backend.demo.catalog import METRICS
from backend.demo.launcher import DemoLauncher
from backend.experiment.loader import load_experiment
from backend.experiment.schema import LaunchSpec
from backend.launch import LaunchError, launch_one, parse_sweep, sweep
from backend.launch.loading import launcher_class
from backend.launch.params import check_parameters, find_operation
from tests.support.mini_demo import write_mini_demo


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_mini_demo(tmp_path_factory.mktemp("launch-demo"))


def _op(name: str):
    return find_operation(DemoLauncher().operations(), name)


def test_sweep_text_becomes_checked_runs():
    op = _op("global magnitude prune")
    values = parse_sweep(op, {"amount": "0.3, 0.6,0.3"})
    assert values == {"amount": [0.3, 0.6]}
    assert sweep(op, values) == [{"amount": 0.3}, {"amount": 0.6}]
    assert parse_sweep(op, {"amount": ""}) == {"amount": [0.5]}  # the default
    assert parse_sweep(_op("fine-tune"), {"epochs": "2"}) == {"epochs": [2]}


@pytest.mark.parametrize(("op", "params", "message"), [
    ("global magnitude prune", {"amount": "1.5"}, "amount: 1.5 is outside [0, 0.999]"),
    ("global magnitude prune", {"amount": "lots"}, "amount: must be a number, got 'lots'"),
    ("global magnitude prune", {"amount": "nan"}, "amount: must be a finite number"),
    ("fine-tune", {"epochs": "2.5"}, "epochs: must be a whole number, got 2.5"),
    ("fine-tune", {"epochs": "0"}, "epochs: 0 is outside [1, 30]"),
    ("global magnitude prune", {"amout": "0.3"}, "unknown parameter 'amout'"),
])
def test_values_outside_the_schema_are_one_line(op, params, message):
    with pytest.raises(LaunchError) as info:
        parse_sweep(_op(op), params)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_unknown_operation_and_too_many_runs_are_refused():
    with pytest.raises(LaunchError, match="'global prune' is not offered"):
        _op("global prune")
    op = _op("global magnitude prune")
    many = ",".join(f"0.{i:02d}" for i in range(1, 30))
    with pytest.raises(LaunchError, match="29 runs requested; at most 16"):
        sweep(op, parse_sweep(op, {"amount": many}))
    with pytest.raises(LaunchError, match="amount: missing"):
        check_parameters(op, {})
    with pytest.raises(LaunchError, match="must be a number, got True"):
        check_parameters(op, {"amount": True})


def test_launcher_class_errors_are_one_line():
    with pytest.raises(LaunchError, match="launch.module: cannot import 'no_such_mod'"):
        launcher_class(LaunchSpec.model_validate({"module": "no_such_mod", "class": "X"}))
    with pytest.raises(LaunchError, match="did you mean 'DemoLauncher'"):
        launcher_class(LaunchSpec.model_validate({"module": "backend.demo.launcher", "class": "DemoLauncer"}))
    with pytest.raises(LaunchError, match="not a subclass"):
        launcher_class(LaunchSpec.model_validate({"module": "backend.demo.build", "class": "DemoBuilder"}))


def test_launcher_imports_from_the_config_folder(tmp_path):
    (tmp_path / "my_launch_plugin.py").write_text(
        "from backend.launch import Launcher\n"
        "class Mine(Launcher):\n"
        "    def operations(self): return []\n"
        "    def run(self, *a): raise RuntimeError\n")
    cls = launcher_class(LaunchSpec.model_validate({"module": "my_launch_plugin", "class": "Mine"}), tmp_path)
    assert cls.__name__ == "Mine"


def test_a_prune_sweep_appends_measured_models(mini):
    exp = load_experiment(mini)
    assert exp.launch is not None and exp.launch.class_name == "DemoLauncher"
    base = exp.forest["cnn"]
    lines: list[str] = []
    made = [launch_one(DemoLauncher(), exp.models_path, base, "global magnitude prune", {"amount": a},
                       lines.append) for a in (0.3, 0.6)]
    assert made == ["cnn-gprune30", "cnn-gprune60"]
    again = load_experiment(mini)
    names = {m["name"] for m in METRICS}
    for mid, amount in zip(made, (0.3, 0.6), strict=True):
        model = again.forest[mid]
        assert model.base == "cnn" and model.operation.name == "global magnitude prune"
        assert model.operation.parameters == {"amount": amount}
        assert set(model.metrics) == names
        assert model.metrics["Sparsity"] == pytest.approx(amount, abs=0.02)
        assert model.checkpoint is not None and model.checkpoint.is_file()
    assert any("added" in line for line in lines)
    # the same launch again gets a fresh id rather than overwriting a checkpoint
    assert launch_one(DemoLauncher(), exp.models_path, base, "global magnitude prune",
                      {"amount": 0.3}) == "cnn-gprune30-2"


def test_quantize_and_fine_tune_run_like_the_build(mini):
    exp = load_experiment(mini)
    mid = launch_one(DemoLauncher(), exp.models_path, exp.forest["cnn"], "quantize", {})
    assert mid == "cnn-int8"
    tuned = launch_one(DemoLauncher(), exp.models_path, exp.forest["cnn"], "fine-tune", {"epochs": 1})
    assert tuned == "cnn-ft1"
    forest = load_experiment(mini).forest
    assert forest["cnn-int8"].operation.parameters == {"weights": "int8", "activations": "float32"}
    assert forest["cnn-int8"].metrics["Model Size"] < forest["cnn"].metrics["Model Size"] / 2
    assert forest[tuned].operation.parameters == {"epochs": 1}


def test_a_refused_launch_writes_nothing(mini):
    exp = load_experiment(mini)
    before = exp.models_path.read_bytes()
    with pytest.raises(LaunchError, match="amount: 2 is outside"):
        launch_one(DemoLauncher(), exp.models_path, exp.forest["cnn"], "global magnitude prune", {"amount": 2})
    assert exp.models_path.read_bytes() == before
    assert not any(p.name.startswith("cnn-gprune200") for p in (mini.parent / "checkpoints").iterdir())
    assert yaml.safe_load(before)["models"]


def test_check_names_a_launcher_that_does_not_import(mini, tmp_path):
    from backend.experiment.check import check_experiment

    config = tmp_path / "bad.yaml"
    config.write_text(f"name: x\nmodels: {mini.parent / 'models.yaml'}\n"
                      "launch: {module: backend.demo.launcher, class: Nope}\n")
    report = check_experiment(config, cache_dir=tmp_path / "cache")
    assert any("launch.class: module 'backend.demo.launcher' has no class 'Nope'" in p
               for p in report.problems), report.problems
    assert load_experiment(mini).launch is not None
    assert load_experiment(config).launch.class_name == "Nope"  # loading itself does not import


class _Broken(DemoLauncher):
    """Runs the demo's operation, then reports what the models file does not declare, or fails."""

    def __init__(self, how: str) -> None:
        super().__init__()
        self.how = how

    def run(self, base, operation, parameters, checkpoint, progress):
        produced = super().run(base, operation, parameters, checkpoint, progress)
        if self.how == "raise":
            raise RuntimeError("the plug-in broke")
        return type(produced)(metrics={**produced.metrics, "Top-5": 0.5}, tag=produced.tag)


@pytest.mark.parametrize("how", ["metric", "raise"])
def test_a_failed_launch_leaves_neither_model_nor_checkpoint(mini, how):
    exp = load_experiment(mini)
    before = exp.models_path.read_bytes()
    folder = mini.parent / "checkpoints"
    files = set(folder.iterdir())
    error = LaunchError if how == "metric" else RuntimeError
    with pytest.raises(error) as info:
        launch_one(_Broken(how), exp.models_path, exp.forest["cnn"], "layer-wise magnitude prune", {"amount": 0.2})
    if how == "metric":
        assert "metrics.Top-5: metric is not declared" in str(info.value) and "\n" not in str(info.value)
    assert exp.models_path.read_bytes() == before
    assert set(folder.iterdir()) == files


def test_a_base_without_a_checkpoint_is_one_line(tmp_path):
    from backend.experiment.tracking import ExperimentLog

    log = ExperimentLog(tmp_path / "models.yaml")
    log.set_metric("Accuracy")
    log.log_model("root", metrics={"Accuracy": 0.5})
    base = load_experiment(tmp_path / "models.yaml").forest["root"]
    with pytest.raises(LaunchError, match="^model 'root': has no checkpoint to start from$"):
        launch_one(DemoLauncher(), tmp_path / "models.yaml", base, "quantize", {})
