"""The forest loads every reference tree with its quirks and answers ancestry queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.experiment.loader import load_experiment
from tests.conftest import REFERENCE_FILES, reference_tree

EXPECTED = {  # file: (models, roots, operations, metrics)
    "celeba.json": (8, 1, 2, 6),
    "cifar10.json": (65, 1, 4, 26),
    "imagenet.json": (52, 2, 5, 6),
    "imagenet-userstudy-part1.json": (20, 1, 5, 6),
    "imagenet-userstudy-tutorial.json": (5, 1, 5, 6),
    "t5-squad.json": (40, 1, 4, 5),
}


@pytest.mark.parametrize("name", REFERENCE_FILES)
def test_reference_tree_loads(name: str):
    exp = load_experiment(reference_tree(name))
    f = exp.forest
    assert (len(f), len(f.roots), len(f.operations), len(f.metrics)) == EXPECTED[name]
    assert exp.summary().endswith(
        "{} models, {} roots, {} operations, {} metrics".format(*EXPECTED[name]))
    for model in f:  # every non-root reaches a root through known parents
        assert f.path(model.id)[0] in f.roots


def test_parameter_list_quirk_becomes_specs():
    f = load_experiment(reference_tree("celeba.json")).forest
    assert set(f.operations["iterative magnitude prune"].parameters) == {"epochs", "sparsity", "frequency"}


def test_t5_undeclared_retrain_is_declared_with_warning():
    f = load_experiment(reference_tree("t5-squad.json")).forest
    assert "Retrain" in f.operations
    assert any("operation 'Retrain' is used" in w for w in f.warnings)


def test_t5_null_metrics_are_missing_not_zero():
    f = load_experiment(reference_tree("t5-squad.json")).forest
    missing = [m for m in f if len(m.metrics) < len(f.metrics)]
    assert missing, "t5-squad has null metric values"
    assert all(isinstance(v, float) for m in f for v in m.metrics.values())


def test_cifar_parameter_names_differ_from_spec_but_load():
    f = load_experiment(reference_tree("cifar10.json")).forest
    used = {k for m in f if m.operation and m.operation.name == "Prune" for k in m.operation.parameters}
    assert used == {"amount", "method"}
    assert set(f.operations["Prune"].parameters) == {"method", "sparsity"}


def test_top_level_min_max_and_range_object(tmp_path: Path):
    path = tmp_path / "m.yaml"
    path.write_text("name: t\nmetrics: [{name: a, range: {min: 0, max: 2}}, {name: b, min: 1}]\n"
                    "models: [{id: r, metrics: {a: 1, b: 2}}]\n")
    f = load_experiment(path).forest
    assert (f.metric("a").min, f.metric("a").max, f.metric("b").min) == (0.0, 2.0, 1.0)


@pytest.fixture(scope="module")
def imagenet():
    return load_experiment(reference_tree("imagenet.json")).forest


def test_ancestry_queries(imagenet):
    leaf = "resnet50trained-magnitudepruning50_compressed_quantizeint8"
    assert imagenet.path(leaf) == ["resnet50trained", "resnet50trained-magnitudepruning50_compressed", leaf]
    assert imagenet.ancestors(leaf) == imagenet.path(leaf)[:-1]
    assert imagenet.depth(leaf) == 2 and imagenet.depth("resnet50trained") == 0
    assert imagenet.root_of(leaf) == "resnet50trained"
    assert imagenet.roots == ["mobilenetv2trained", "resnet50trained"]
    desc = imagenet.descendants("resnet50trained")
    assert leaf in desc and "mobilenetv2trained" not in desc and "resnet50trained" not in desc
    assert len(desc) + len(imagenet.descendants("mobilenetv2trained")) + 2 == len(imagenet)
    for mid in imagenet.children("resnet50trained"):
        assert imagenet.parent(mid) == "resnet50trained"


def test_expand_selection(imagenet):
    leaf = "resnet50trained-magnitudepruning50_compressed_quantizeint8"
    mid = "resnet50trained-magnitudepruning50_compressed"
    assert imagenet.expand([leaf], "parents") == [leaf, mid]
    assert imagenet.expand([leaf], "ancestors") == [leaf, mid, "resnet50trained"]
    assert set(imagenet.expand([mid], "children")) == {mid, *imagenet.children(mid)}
    assert set(imagenet.expand([mid], "descendants")) == {mid, *imagenet.descendants(mid)}
    assert imagenet.expand(["unknown", mid], "parents")[0] == mid
    with pytest.raises(ValueError, match="unknown expansion"):
        imagenet.expand([mid], "cousins")


def test_primary_metrics_fall_back_to_all(tmp_path: Path):
    path = tmp_path / "m.yaml"
    path.write_text("name: t\nmetrics: [{name: a}, {name: b}]\nmodels: [{id: r}]\n")
    assert [m.name for m in load_experiment(path).forest.primary_metrics] == ["a", "b"]


def test_metrics_inferred_when_none_declared(tmp_path: Path):
    path = tmp_path / "m.yaml"
    path.write_text("name: t\nmodels: [{id: r, metrics: {b: 1}}, {id: c, base: r, metrics: {a: 2}}]\n")
    assert [m.name for m in load_experiment(path).forest.metrics] == ["b", "a"]


def test_models_file_path_relative_to_config(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "models.yaml").write_text(
        "metrics: [{name: acc, unit: '%'}]\nmodels: [{id: r, metrics: {acc: 1}, checkpoint: r.pt}]\n")
    (tmp_path / "exp.yaml").write_text("name: t\nmodels: sub/models.yaml\n"
                                       "metrics: [{name: acc, primary: true}]\n")
    exp = load_experiment(tmp_path / "exp.yaml")
    assert exp.models_path == tmp_path / "sub" / "models.yaml"
    assert exp.forest["r"].checkpoint == tmp_path / "sub" / "r.pt"
    # declared in both files: merged field by field (the config's spec used to replace the
    # models file's, and its unit vanished), with a warning naming the metric
    assert exp.forest.metric("acc").primary and exp.forest.metric("acc").unit == "%"
    assert [w for w in exp.forest.warnings if "metric 'acc' is declared here and in" in w]


def test_numeric_ids_become_strings(tmp_path: Path):
    path = tmp_path / "m.yaml"
    path.write_text("name: t\nmodels: [{id: 1}, {id: 2, base: 1}]\n")
    f = load_experiment(path).forest
    assert f.ids == ["1", "2"] and f.parent("2") == "1"
