"""Cross-field rules (ranges, formats, references, declarations given twice) and one-pass checking."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.experiment.check import check_experiment
from backend.experiment.loader import ConfigError, load_experiment
from backend.experiment.rules import format_problem
from backend.experiment.schema import did_you_mean

HEAD = """\
name: t
metrics: [{name: acc, primary: true, min: 0, max: 1}, {name: size}]
operations: [{name: prune, parameters: {amount: {format: ".0%"}}}]
models:
  - {id: root, metrics: {acc: 0.9, size: 10}}
"""


def _problems(tmp_path: Path, text: str, models: str | None = None) -> list[str]:
    """The problem lines of a config (and models file), with the tmp folder cut off."""
    (tmp_path / "experiments.yaml").write_text(text)
    if models is not None:
        (tmp_path / "models.yaml").write_text(models)
    with pytest.raises(ConfigError) as info:
        load_experiment(tmp_path / "experiments.yaml", cache_dir=tmp_path / "cache")
    return [p.replace(f"{tmp_path}/", "") for p in info.value.problems]


@pytest.mark.parametrize("fmt", [".2%", ".2~%", ".2~s", ".2", ".2~", "00", ",.0f", "+.1~%", "$,.2f",
                                 " >10.2f", "", "d", "x", "X", ".3e", "(,.2f", "#x", ".1p", "c", "n"])
def test_formats_we_support_are_accepted(fmt: str):
    assert format_problem(fmt) is None


@pytest.mark.parametrize(("fmt", "why"), [
    ("2 decimals", "'2 decimals' is not a d3-format string (e.g. '.2%', '.3~s', ',.0f')"),
    (".0%%", "'.0%%' is not a d3-format string (e.g. '.2%', '.3~s', ',.0f')"),
    (".2q", "'.2q' has an unknown d3-format type 'q' (one of e f g r s % p b o d x X c n)"),
    (".2F", "'.2F' has an unknown d3-format type 'F' (one of e f g r s % p b o d x X c n)"),
])
def test_formats_d3_would_misread_are_refused(fmt: str, why: str):
    assert format_problem(fmt) == why


CASES = [
    ("min-above-max", "name: t\nmetrics: [{name: Accuracy, min: 1, max: 0}]\nmodels: [{id: r}]\n",
     ["experiments.yaml: metrics[0] ('Accuracy').min: 1 is above max 0 (a range needs min <= max)"]),
    ("nan-min", "name: t\nmetrics: [{name: acc, min: .nan}]\nmodels: [{id: r}]\n",
     ["experiments.yaml: metrics[0] ('acc').min: must be a finite number, got nan"]),
    ("inf-max", "name: t\nmetrics: [{name: acc, max: .inf}]\nmodels: [{id: r}]\n",
     ["experiments.yaml: metrics[0] ('acc').max: must be a finite number, got inf"]),
    ("format-type", "name: t\nmetrics: [{name: Accuracy, format: 12}]\nmodels: [{id: r}]\n",
     ["experiments.yaml: metrics[0] ('Accuracy').format: must be a string, got 12"]),
    ("format-bad", "name: t\nmetrics: [{name: acc}, {name: size, format: 'x.2'}]\nmodels: [{id: r}]\n",
     ["experiments.yaml: metrics[1] ('size').format: 'x.2' is not a d3-format string "
      "(e.g. '.2%', '.3~s', ',.0f')"]),
    ("parameter-format", "name: t\noperations: [{name: prune, parameters: {amount: {format: '%%'}}}]\n"
     "models: [{id: r}]\n",
     ["experiments.yaml: operations[0] ('prune').parameters.amount.format: '%%' is not a d3-format "
      "string (e.g. '.2%', '.3~s', ',.0f')"]),
    ("parameter-range", "name: t\noperations: [{name: prune, parameters: {amount: {min: 2, max: 1}}}]\n"
     "models: [{id: r}]\n",
     ["experiments.yaml: operations[0] ('prune').parameters.amount.min: 2 is above max 1 "
      "(a range needs min <= max)"]),
    ("operation-spec-type", "name: t\noperations: [{name: prune, description: [a]}]\nmodels: [{id: r}]\n",
     ["experiments.yaml: operations[0] ('prune').description: must be a string, got ['a']"]),
    ("metric-twice", "name: t\nmetrics: [{name: acc}, {name: acc}]\nmodels: [{id: r}]\n",
     ["experiments.yaml: metrics[1] ('acc'): name: declared twice in metrics (first at metrics[0]); "
      "declare it once"]),
    ("empty-metric-name", "name: t\nmetrics: [{name: ' '}]\nmodels: [{id: r}]\n",
     ["experiments.yaml: metrics[0] (' ').name: must not be empty"]),
    ("empty-id", "name: t\nmodels: [{id: r}, {id: '', base: r}]\n",
     ["experiments.yaml: model '': id: must not be empty"]),
    ("outside-range", HEAD + "  - {id: a, base: root, metrics: {acc: 91}}\n",
     ["experiments.yaml: model 'a': metrics.acc: 91 is outside the declared range [0, 1] of 'acc'"]),
    ("operation-typo", HEAD + "  - {id: a, base: root, operation: {name: prnue}}\n",
     ["experiments.yaml: model 'a': operation.name: 'prnue' is not a declared operation "
      "(did you mean 'prune'?)"]),
    ("parameter-typo", HEAD + "  - {id: a, base: root, operation: {name: prune, parameters: {amout: 1}}}\n",
     ["experiments.yaml: model 'a': operation.parameters.amout: operation 'prune' declares no "
      "parameter 'amout' (did you mean 'amount'?)"]),
    ("metric-case", HEAD + "  - {id: a, base: root, metrics: {ACC: 0.5}}\n",
     ["experiments.yaml: model 'a': metrics.ACC: metric is not declared in metrics (did you mean 'acc'?)"]),
    ("metric-bool", HEAD + "  - {id: a, base: root, metrics: {acc: true}}\n",
     ["experiments.yaml: model 'a': metrics.acc: must be a number, got True"]),
    ("metric-text-number", HEAD + "  - {id: a, base: root, metrics: {acc: '0.5'}}\n",
     ["experiments.yaml: model 'a': metrics.acc: must be a number, got '0.5'"]),
    ("metric-key-number", HEAD + "  - {id: a, base: root, metrics: {1: 0.5}}\n",
     ["experiments.yaml: model 'a': metrics: key 1 must be a string (quote it in the file)"]),
    ("range-list", "name: t\nmetrics: [{name: acc, range: [0, 1]}]\nmodels: [{id: r}]\n",
     ["experiments.yaml: metrics[0] ('acc').range: must be a mapping {min: ..., max: ...}, got [0, 1]"]),
    ("empty-name", "name: ' '\nmodels: [{id: r}]\n", ["experiments.yaml: name: must not be empty"]),
    ("parameter-nan", HEAD + "  - {id: a, base: root, operation: {name: prune, parameters: {amount: .nan}}}\n",
     ["experiments.yaml: model 'a': operation.parameters.amount: must be a finite number, got nan "
      "(use null for a missing value)"]),
]


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cross_field_rule_names_its_culprit(tmp_path: Path, case: str, text: str, expected: list[str]):
    assert _problems(tmp_path, text) == expected


def test_a_value_within_rounding_of_the_range_is_accepted(tmp_path: Path):
    (tmp_path / "m.yaml").write_text("name: t\nmetrics: [{name: s, min: 0, max: 1}]\n"
                                     "models: [{id: r, metrics: {s: 1.0000000000001}}]\n")
    assert load_experiment(tmp_path / "m.yaml").forest["r"].metrics["s"] > 1


def test_unrelated_undeclared_names_are_warnings_as_in_the_reference_files(tmp_path: Path):
    """The reference's files use parameters and operations their specs do not declare: loaded,
    with a warning each (a near miss of a declared name is a typo, refused above)."""
    (tmp_path / "m.yaml").write_text(HEAD + "  - {id: a, base: root, operation: {name: prune, parameters: "
                                     "{amount: 0.5, seed: 3}}}\n  - {id: b, base: a, operation: {name: "
                                     "prune, parameters: {seed: 4}}}\n  - {id: c, base: root, operation: "
                                     "{name: distill, parameters: {teacher: root}}}\n")
    forest = load_experiment(tmp_path / "m.yaml").forest
    assert [w.split(": ", 1)[1] for w in forest.warnings] == [
        "operation 'prune': parameter 'seed' is used (first by model 'a') but not declared (declared: amount)",
        "operation 'distill' is used (first by model 'c') but not declared in operations",
    ]
    assert set(forest.operations["prune"].parameters) == {"amount"} and "distill" in forest.operations


def test_a_parameter_outside_its_options_or_range_is_a_warning(tmp_path: Path):
    """The reference's t5-squad uses layers: 'lateattention' where it declares two options."""
    (tmp_path / "m.yaml").write_text(
        "name: t\noperations: [{name: q, parameters: {method: {options: [int8, fp16]}, bits: {min: 2, max: 16}}}]\n"
        "models: [{id: r}, {id: a, base: r, operation: {name: q, parameters: {method: Int8, bits: 32}}},\n"
        "  {id: b, base: r, operation: {name: q, parameters: {method: Int8, bits: 8}}}]\n")
    forest = load_experiment(tmp_path / "m.yaml").forest
    assert [w.split(": ", 1)[1] for w in forest.warnings] == [
        "model 'a': operation.parameters.method: 'Int8' is not one of the options of parameter 'method' "
        "('int8', 'fp16') (did you mean 'int8'?)",
        "model 'a': operation.parameters.bits: 32 is outside the declared range [2, 16] of parameter 'bits'",
    ]


def test_an_operation_that_declares_no_parameters_accepts_any(tmp_path: Path):
    (tmp_path / "m.yaml").write_text("name: t\noperations: [{name: train}]\nmodels: [{id: r, operation: "
                                     "{name: train, parameters: {epochs: 3}}}]\n")
    assert load_experiment(tmp_path / "m.yaml").forest.warnings == []


def test_did_you_mean_ignores_case_and_spells_the_declared_name():
    assert did_you_mean("top-1 ACCURACY", ["Top-1 Accuracy", "size"]) == " (did you mean 'Top-1 Accuracy'?)"
    assert did_you_mean("Retrain", ["Pruning", "Restore", "Selective Pruning"]) == ""
    assert did_you_mean("acc", ["acc"]) == ""


# --- declarations given in both files ----------------------------------------------------------
MODELS = """\
metrics: [{name: Accuracy, format: ".3f", unit: "%"}, {name: size}]
operations: [{name: prune, description: magnitude, parameters: {amount: {format: ".0%"}}}]
models:
  - {id: r, metrics: {Accuracy: 0.9, size: 3}}
  - {id: p, base: r, operation: {name: prune, parameters: {amount: 0.5, seed: 1}}}
"""


def test_declared_twice_is_merged_field_by_field_with_a_warning(tmp_path: Path):
    (tmp_path / "models.yaml").write_text(MODELS)
    (tmp_path / "experiments.yaml").write_text(
        "name: t\nmodels: models.yaml\nmetrics: [{name: Accuracy, primary: true}, {name: extra}]\n"
        "operations: [{name: prune, parameters: {amount: {min: 0}, seed: {format: d}}}]\n")
    exp = load_experiment(tmp_path / "experiments.yaml")
    acc = exp.forest.metric("Accuracy")
    assert (acc.primary, acc.format, acc.unit) == (True, ".3f", "%")  # nothing vanished
    assert [m.name for m in exp.forest.metrics] == ["Accuracy", "size", "extra"]
    prune = exp.forest.operations["prune"]
    assert prune.description == "magnitude"
    assert (prune.parameters["amount"].format, prune.parameters["amount"].min) == (".0%", 0)
    assert prune.parameters["seed"].format == "d"
    config, models = tmp_path / "experiments.yaml", tmp_path / "models.yaml"
    assert exp.forest.warnings == [
        f"{config}: metric 'Accuracy' is declared here and in {models}; merged field by field "
        "(format, unit from models.yaml; primary from experiments.yaml)",
        f"{config}: operation 'prune' is declared here and in {models}; merged field by field "
        "(description, parameters.amount.format from models.yaml; parameters.amount.min, "
        "parameters.seed.format from experiments.yaml)",
    ]


def test_declared_twice_with_two_values_is_refused_one_line_each(tmp_path: Path):
    problems = _problems(tmp_path, "name: t\nmodels: models.yaml\nmetrics: [{name: Accuracy, format: '.2%', "
                         "unit: '%'}]\noperations: [{name: prune, parameters: {amount: {format: '.1%'}}}]\n",
                         MODELS)
    assert problems == [
        "experiments.yaml: metrics[0] ('Accuracy').format: '.2%' here conflicts with '.3f' in "
        "models.yaml (metrics[0]); give it once, or the same value",
        "experiments.yaml: operations[0] ('prune').parameters.amount.format: '.1%' here conflicts with "
        "'.0%' in models.yaml (operations[0]); give it once, or the same value",
    ]


# --- one pass --------------------------------------------------------------------------------------
SIX = """\
name: t
metrics: [{name: acc, primary: true, format: 12}, {name: size}]
models:
  - {id: root, tag: [not, text], metrics: {acc: 0.9, size: 10}}
  - {id: a, base: root, metrics: {acc: .nan}}
  - {id: b, base: c, metrics: {acuracy: 0.5}}
  - {id: c, base: b}
  - {id: d, base: roott, operation: {name: prune, parameters: {amount: [1]}}}
"""


def test_type_errors_do_not_hide_the_structural_checks(tmp_path: Path):
    assert _problems(tmp_path, SIX) == [
        "experiments.yaml: metrics[0] ('acc').format: must be a string, got 12",
        "experiments.yaml: model 'root': tag: must be a string, got ['not', 'text']",
        "experiments.yaml: model 'd': operation.parameters.amount: must be a scalar (number, string, "
        "true/false or null), got [1]",
        "experiments.yaml: model 'a': metrics.acc: must be a finite number, got nan (use null for a "
        "missing value)",
        "experiments.yaml: model 'b': metrics.acuracy: metric is not declared in metrics (did you mean 'acc'?)",
        "experiments.yaml: model 'd': base: 'roott' is not a model id (did you mean 'root'?)",
        "experiments.yaml: model 'b': base: cycle of base links: b -> c -> b",
    ]


def test_a_cycle_through_a_model_with_a_type_error_is_found(tmp_path: Path):
    problems = _problems(tmp_path, "name: t\nmodels:\n  - {id: a, base: b, checkpoint: 3}\n  - {id: b, base: a}\n")
    assert problems == ["experiments.yaml: model 'a': checkpoint: must be a string, got 3",
                        "experiments.yaml: model 'a': base: cycle of base links: a -> b -> a"]


def test_what_could_not_be_checked_is_said_in_one_line(tmp_path: Path):
    (tmp_path / "experiments.yaml").write_text("name: t\nmetrics: [{name: acc, min: low}]\n"
                                               "models: models.yaml\n")
    (tmp_path / "models.yaml").write_text("models: [{id: a\n")
    with pytest.raises(ConfigError) as info:
        load_experiment(tmp_path / "experiments.yaml")
    assert [p.split(": ", 1)[1] for p in info.value.problems] == [
        "metrics[0] ('acc').min: must be a number, got 'low'",
        "invalid YAML at line 2, column 1: expected ',' or '}', but got '<stream end>'"]
    assert info.value.skipped == (f"{tmp_path / 'experiments.yaml'}: not checked until the problems above "
                                  "are fixed: the models (ids, bases, cycles, metric values, references to "
                                  "metrics and operations, checkpoints): the models file could not be read")


def test_a_model_without_usable_id_turns_base_checks_off_not_false(tmp_path: Path):
    (tmp_path / "experiments.yaml").write_text("name: t\nmodels:\n  - {id: [a]}\n  - {id: b, base: a}\n"
                                               "  - {id: c, base: c}\n")
    with pytest.raises(ConfigError) as info:
        load_experiment(tmp_path / "experiments.yaml")
    assert [p.split(": ", 1)[1] for p in info.value.problems] == [
        "models[0]: id: must be a string, got ['a']", "model 'c': base: cycle of base links: c -> c"]
    assert info.value.skipped.endswith("base links (models[0] has no usable id)")


# --- --check: beyond loading ---------------------------------------------------------------------
def test_check_reports_missing_checkpoints_no_models_and_the_inspector_in_one_report(tmp_path: Path):
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "a.pt").write_bytes(b"x")
    (tmp_path / "experiments.yaml").write_text(
        "name: t\nmetrics: [{name: acc, format: '.2q'}]\ninspector: {module: tests.support.tiny, class: Nope}\n"
        "models:\n  - {id: a, checkpoint: ckpt/a.pt}\n  - {id: b, base: a, checkpoint: ckpt/b.pt}\n"
        f"  - {{id: c, base: a, checkpoint: {tmp_path / 'c.pt'}}}\n")
    report = check_experiment(tmp_path / "experiments.yaml", cache_dir=tmp_path / "cache")
    assert not report.ok and report.skipped is None
    assert [p.replace(f"{tmp_path}/", "") for p in report.problems] == [
        "experiments.yaml: metrics[0] ('acc').format: '.2q' has an unknown d3-format type 'q' "
        "(one of e f g r s % p b o d x X c n)",
        "experiments.yaml: model 'b': checkpoint: file not found: ckpt/b.pt",
        "experiments.yaml: model 'c': checkpoint: file not found: c.pt",
        "experiments.yaml: inspector.class: module 'tests.support.tiny' has no class 'Nope'",
    ]


def test_an_empty_experiment_loads_but_check_refuses_it(tmp_path: Path):
    (tmp_path / "models.yaml").write_text("name: live\nmetrics: [{name: acc}]\nmodels: []\n")
    assert len(load_experiment(tmp_path / "models.yaml").forest) == 0
    report = check_experiment(tmp_path / "models.yaml")
    assert report.problems == [f"{tmp_path / 'models.yaml'}: models: the experiment has no models (the list "
                               "is empty); --check needs at least one (the app starts and waits for them)"]
