"""Derived metrics in the forest: the built-in changes, definitions over other metrics, the
config's ``derived_metrics`` (good and bad entries) and the Overview's add and remove actions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from backend.experiment.changes import signed
from backend.experiment.derived import DerivedMetric, extend, with_derived
from backend.experiment.forest import ExperimentForest, Model, Operation
from backend.experiment.loader import ConfigError, load_experiment
from backend.experiment.schema import MetricSpec
from backend.overview.derived import add_metric, remove_metric
from backend.overview.filters import Budget, RangeFilter
from backend.overview.pareto import Objectives
from backend.viewstate.overview import OverviewView

SPECS = [MetricSpec(name="Accuracy", primary=True, format=".1%", min=0, max=1, higher_is_better=True),
         MetricSpec(name="Model Size", primary=True, unit="B"),
         MetricSpec(name="Error", primary=True, min=0, max=1, higher_is_better=False),
         MetricSpec(name="Notes")]
VALUES = {"root": {"Accuracy": 0.9, "Model Size": 4e6, "Error": 0.1, "Notes": 1.0},
          "a": {"Accuracy": 0.8, "Model Size": 1e6, "Error": 0.2},
          "b": {"Accuracy": 0.6, "Model Size": 0.5e6},
          "other": {"Accuracy": 0.5, "Model Size": 0.0, "Error": 0.5}}
BASES = {"root": None, "a": "root", "b": "a", "other": None}


def forest(specs: list[MetricSpec] = SPECS) -> ExperimentForest:
    op = Operation("prune", {})
    models = {m: Model(m, None, BASES[m], op if BASES[m] else None, VALUES[m]) for m in VALUES}
    return ExperimentForest("t", models, {}, specs)


def values(f: ExperimentForest, metric: str) -> list[float | None]:
    return [None if math.isnan(v) else pytest.approx(v) for v in f.column(metric)]


# --- built-in changes --------------------------------------------------------------------------
def test_builtin_changes_are_differences_or_ratios_named_and_formatted():
    f = with_derived(forest())
    added = [m for m in f.metrics if m.name not in {s.name for s in SPECS}]
    assert [m.name for m in added] == ["Accuracy Δ parent", "Accuracy Δ root", "Model Size × parent",
                                       "Model Size × root", "Error Δ parent", "Error Δ root"]
    by = {m.name: m for m in added}
    assert (by["Accuracy Δ parent"].format, by["Accuracy Δ parent"].higher_is_better) == ("+.1%", True)
    assert (by["Model Size × root"].format, by["Model Size × root"].unit) == (".3~r", "×")
    assert by["Model Size × root"].higher_is_better is False
    assert by["Error Δ root"].higher_is_better is False  # bounded: a difference, in its direction
    assert not any(m.primary for m in added) and [m.name for m in f.primary_metrics] == [
        "Accuracy", "Model Size", "Error"]
    # roots: Δ root 0 and × root 1; no parent, so "vs parent" is missing
    assert values(f, "Accuracy Δ parent") == [None, -0.1, -0.2, None]
    assert values(f, "Accuracy Δ root") == [0.0, -0.1, -0.3, 0.0]
    assert values(f, "Model Size × parent") == [None, 0.25, 0.5, None]
    assert values(f, "Model Size × root") == [1.0, 0.25, 0.125, None]  # 0 / 0: missing, not NaN
    assert values(f, "Error Δ parent") == [None, 0.1, None, None]  # b lacks Error: missing


def test_every_metric_is_primary_when_none_is_flagged():
    plain = [s.model_copy(update={"primary": False}) for s in SPECS]
    f = with_derived(forest(plain), [DerivedMetric("twice", "2 * Accuracy")])
    assert [m.name for m in f.primary_metrics] == ["Accuracy", "Model Size", "Error", "Notes", "twice"]
    assert "Notes Δ root" in [m.name for m in f.metrics]


def test_a_declared_metric_of_a_builtin_name_wins():
    specs = [*SPECS, MetricSpec(name="Accuracy Δ root")]
    f = with_derived(forest(specs))
    assert [m.name for m in f.metrics].count("Accuracy Δ root") == 1
    assert f.metric("Accuracy Δ root").format is None  # the declared one


@pytest.mark.parametrize(("fmt", "expected"), [(".2%", "+.2%"), (None, "+.3~g"), (".3~s", "+.3~s"),
                                               ("+.1f", "+.1f"), (",.0f", "+,.0f"), ("*>8.2f", "*>+8.2f")])
def test_signed_formats(fmt, expected):
    assert signed(fmt) == expected


# --- definitions -------------------------------------------------------------------------------
def test_definitions_are_metrics_everywhere_and_may_use_earlier_ones():
    base = forest()
    defs = (DerivedMetric("Accuracy per MB", "Accuracy / (`Model Size` / 1e6)", format=".3f"),
            DerivedMetric("bad", "Accuracy.__class__"), DerivedMetric("Accuracy", "1"),
            DerivedMetric("twice", "2 * `Accuracy per MB` + `Accuracy Δ root`"),
            DerivedMetric("uses bad", "bad + 1"), DerivedMetric(" ", "1"))
    ext = extend(base, defs, changes=True)
    assert dict(ext.rejected) == {
        1: "expression 'Accuracy.__class__': unexpected '.' (attributes are not part of the language) at position 9",
        2: "'Accuracy' is already a metric; pick another name",
        4: "expression 'bad + 1': unknown metric 'bad' at position 1",
        5: "the name must not be empty"}
    f = ext.forest
    assert values(f, "Accuracy per MB") == [0.225, 0.8, 1.2, None]  # x / 0: missing
    assert values(f, "twice") == [0.45, 1.5, 2.1, None]
    assert f["a"].metrics["Accuracy per MB"] == pytest.approx(0.8) and "Accuracy per MB" not in f["other"].metrics
    spec = f.metric("Accuracy per MB")
    assert (spec.primary, spec.format, spec.description) == (True, ".3f",
                                                             "Accuracy per MB = Accuracy / (`Model Size` / 1e6)")
    assert f.roots == base.roots and f.children("root") == ["a"] and len(f) == len(base)
    assert base.metric("Accuracy per MB") is None and "Accuracy per MB" not in base["a"].metrics  # untouched
    assert extend(base, defs, changes=True) is ext  # computed once per (forest, definitions)


def test_nothing_to_add_keeps_the_forest():
    base = forest()
    assert extend(base, ()).forest is base
    assert extend(base, (DerivedMetric("x", "nope"),)).forest is base


def test_nan_inputs_propagate_and_comparisons_give_one_or_zero():
    f = extend(forest(), (DerivedMetric("good", "(Accuracy >= 0.6) * (Error < 0.3)"),)).forest
    assert values(f, "good") == [1.0, 1.0, None, 0.0]


# --- the config's derived_metrics ------------------------------------------------------------------
MODELS = """metrics:
  - {name: Accuracy, primary: true, format: ".2%", min: 0, max: 1, higher_is_better: true}
  - {name: Model Size, primary: true, unit: B}
operations: [{name: prune}]
models:
  - {id: a, metrics: {Accuracy: 0.9, Model Size: 4000000}}
  - {id: b, base: a, operation: {name: prune}, metrics: {Accuracy: 0.8, Model Size: 1000000}}
"""


def _config(tmp_path: Path, derived: str) -> Path:
    (tmp_path / "models.yaml").write_text(MODELS)
    path = tmp_path / "experiments.yaml"
    path.write_text(f"name: t\nmodels: models.yaml\nderived_metrics:\n{derived}")
    return path


def test_config_derived_metrics_load_and_join_the_forest(tmp_path: Path):
    exp = load_experiment(_config(tmp_path, """\
  - {name: "Accuracy per MB", expr: "Accuracy / (`Model Size` / 1e6)", format: ".3f", higher_is_better: true}
  - {name: cheap, expr: "`Model Size × root` < 0.5", primary: false, unit: flag}
"""))
    assert [d.name for d in exp.derived] == ["Accuracy per MB", "cheap"]
    assert [m.name for m in exp.forest.metrics] == ["Accuracy", "Model Size"]  # the loaded forest is plain
    f = with_derived(exp.forest, exp.derived)
    assert values(f, "Accuracy per MB") == [0.225, 0.8] and values(f, "cheap") == [0.0, 1.0]
    assert f.metric("cheap").unit == "flag" and f.metric("cheap").primary is False


@pytest.mark.parametrize(("entries", "problem"), [
    ('  - {name: x, expr: "Accuracy * 2"}\n  - {name: x, expr: "1"}\n',
     "derived_metrics[1] ('x'): name: declared twice in derived_metrics (first at derived_metrics[0]); declare it once"),
    ('  - {name: Accuracy, expr: "1"}\n',
     "derived_metrics[0] ('Accuracy').name: 'Accuracy' is already a metric (in metrics); pick another name"),
    ('  - {name: "Accuracy Δ parent", expr: "1"}\n',
     "derived_metrics[0] ('Accuracy Δ parent').name: 'Accuracy Δ parent' is a built-in change metric; "
     "pick another name"),
    ('  - {name: x, expr: "Accuracy / (`Model Size` / 1e6"}\n',
     "derived_metrics[0] ('x').expr: expression 'Accuracy / (`Model Size` / 1e6': '(' is never closed at position 12"),
    ('  - {name: x, expr: "accuracy * 2"}\n',
     "derived_metrics[0] ('x').expr: expression 'accuracy * 2': unknown metric 'accuracy' "
     "(did you mean 'Accuracy'?) at position 1"),
    ('  - {name: x, expr: "y"}\n  - {name: y, expr: "1"}\n',
     "derived_metrics[0] ('x').expr: expression 'y': unknown metric 'y' at position 1"),
    ('  - {name: x, expr: "os.system(1)"}\n',
     "derived_metrics[0] ('x').expr: expression 'os.system(1)': unexpected '.' (attributes are not part of "
     "the language) at position 3"),
    ('  - {name: x, expr: "1", format: ".2q"}\n',
     "derived_metrics[0] ('x').format: '.2q' has an unknown d3-format type 'q'"),
    ('  - {name: x, expr: 2}\n', "derived_metrics[0] ('x').expr: must be a string, got 2"),
    ('  - {name: x, expresion: "1"}\n', "derived_metrics[0] ('x').expresion: unknown key (did you mean 'expr'?)"),
    ('  - {name: "", expr: "1"}\n', "derived_metrics[0].name: must not be empty"),
    ("  - just text\n", "derived_metrics[0]: must be a mapping, got 'just text'"),
])
def test_bad_entries_are_one_line_naming_the_file_and_field(tmp_path: Path, entries: str, problem: str):
    path = _config(tmp_path, entries)
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    lines = info.value.problems
    assert all("\n" not in line and line.startswith(f"{path}: ") for line in lines), lines
    assert any(problem in line for line in lines), lines


def test_not_a_list_is_refused(tmp_path: Path):
    path = tmp_path / "experiments.yaml"
    (tmp_path / "models.yaml").write_text(MODELS)
    path.write_text("name: t\nmodels: models.yaml\nderived_metrics: {name: x}\n")
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    assert info.value.problems == [f"{path}: derived_metrics: must be a list, got {{'name': 'x'}}"]


# --- the Overview's control ----------------------------------------------------------------------
def test_adding_checks_as_the_url_parser_does():
    base = with_derived(forest())
    view = OverviewView(selection=("a",))
    added, error = add_metric(view, base, "  per MB ", " Accuracy / (`Model Size` / 1e6) ")
    assert error is None and added.derived == (("per MB", "Accuracy / (`Model Size` / 1e6)"),)
    assert added.with_(derived=()) == view
    assert add_metric(added, base, "per MB", "1") == (None, "'per MB' is already a metric; pick another name")
    assert add_metric(view, base, "", "1") == (None, "Give the derived metric a name.")
    assert add_metric(view, base, "none", "1")[1] == "'none' means no metric in the URL; pick another name."
    assert add_metric(view, base, "x", "Accuracy +")[1] == "expression 'Accuracy +': the expression ends too early at position 11"
    assert add_metric(view, base, "x", "")[1] == "expression '': is empty"


def test_removing_drops_dependants_and_what_named_them():
    base = with_derived(forest())
    view = OverviewView(derived=(("a2", "Accuracy * 2"), ("a3", "a2 + 1"), ("s", "`Model Size` / 2")),
                        color="a3", size="s", x="a2", y="Accuracy",
                        filters=(RangeFilter("a3", 0, 9), RangeFilter("Accuracy", 0, 1)),
                        budgets=(Budget("a2", "<=", 1.0),), pareto=Objectives("a3", "Accuracy", True, True))
    out = remove_metric(view, base, 0)
    assert out.derived == (("s", "`Model Size` / 2"),)
    assert (out.color, out.size, out.x, out.y) == (None, "s", None, "Accuracy")
    assert out.filters == (RangeFilter("Accuracy", 0, 1),) and out.budgets == () and out.pareto is None
    assert remove_metric(view, base, 7) == view


def test_evaluation_is_vectorised_over_the_forest():
    big = {f"m{i}": Model(f"m{i}", None, None, None, {"Accuracy": i / 1e4, "Model Size": float(i)})
           for i in range(10_000)}
    f = extend(ExperimentForest("big", big, {}, SPECS[:2]), (DerivedMetric("r", "Accuracy / `Model Size`"),)).forest
    column = f.column("r")
    assert np.isnan(column[0]) and column[1:] == pytest.approx(np.full(9_999, 1e-4))
