"""Malformed configs: each gives exactly the one-line problem that names its culprit."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from backend.experiment.loader import ConfigError, load_experiment

HEAD = """\
name: t
metrics: [{name: acc, primary: true}, {name: size}]
operations: [{name: prune, parameters: [amount]}]
models:
  - {id: root, metrics: {acc: 0.9, size: 10}}
"""

# (case id, text appended to HEAD or a whole document, expected problem lines after "<file>: ")
CASES = [
    ("duplicate-id", "  - {id: root, metrics: {acc: 0.5}}\n",
     ["model 'root': id: duplicate id (ids must be unique)"]),
    ("missing-parent", "  - {id: a, base: rooot}\n",
     ["model 'a': base: 'rooot' is not a model id (did you mean 'root'?)"]),
    ("cycle", "  - {id: a, base: b}\n  - {id: b, base: a}\n",
     ["model 'a': base: cycle of base links: a -> b -> a"]),
    ("self-parent", "  - {id: a, base: a}\n", ["model 'a': base: cycle of base links: a -> a"]),
    ("nan-metric", "  - {id: a, base: root, metrics: {acc: .nan}}\n",
     ["model 'a': metrics.acc: must be a finite number, got nan (use null for a missing value)"]),
    ("inf-metric", "  - {id: a, base: root, metrics: {size: -.inf}}\n",
     ["model 'a': metrics.size: must be a finite number, got -inf (use null for a missing value)"]),
    ("undeclared-metric", "  - {id: a, base: root, metrics: {acuracy: 0.5}}\n",
     ["model 'a': metrics.acuracy: metric is not declared in metrics (did you mean 'acc'?)"]),
    ("string-metric", "  - {id: a, base: root, metrics: {acc: high}}\n",
     ["model 'a': metrics.acc: must be a number, got 'high'"]),
    ("list-parameter", "  - {id: a, base: root, operation: {name: prune, parameters: {amount: [1, 2]}}}\n",
     ["model 'a': operation.parameters.amount: must be a scalar (number, string, true/false or "
      "null), got [1, 2]"]),
    ("dict-parameter", "  - {id: a, base: root, operation: {name: prune, parameters: {amount: {x: 1}}}}\n",
     ["model 'a': operation.parameters.amount: must be a scalar (number, string, true/false or "
      "null), got {'x': 1}"]),
    ("unknown-model-key", "  - {id: a, bsae: root}\n",
     ["model 'a': bsae: unknown key (did you mean 'base'?)"]),
    ("operation-without-name", "  - {id: a, base: root, operation: {parameters: {amount: 1}}}\n",
     ["model 'a': operation.name: is required"]),
    ("model-without-id", "  - {base: root}\n", ["models[1]: id: is required"]),
    ("list-id", "  - {id: [1, 2]}\n", ["models[1]: id: must be a string, got [1, 2]"]),
    ("model-not-mapping", "  - 5\n", ["models[1]: (top level): must be a mapping, got 5"]),
    ("metrics-not-mapping", "  - {id: a, metrics: [1, 2]}\n",
     ["model 'a': metrics: must be a mapping, got [1, 2]"]),
]

WHOLE = [
    ("no-name", "models: [{id: a}]\ninspector: {module: m, class: C}\nnaem: x\n",
     ["naem: unknown key (did you mean 'name'?)"]),
    ("missing-name-and-models", "description: x\n", ["name: is required", "models: is required"]),
    ("models-wrong-type", "name: t\nmodels: 3\n",
     ["models: must be a list of models or a path to a models file, got 3"]),
    ("inspector-typo", "name: t\nmodels: []\ninspector: {module: m, clas: C}\n",
     ["inspector.class: is required", "inspector.clas: unknown key (did you mean 'class'?)"]),
    ("bad-device", "name: t\nmodels: []\ninspector: {module: m, class: C, device: tpu}\n",
     ["inspector.device: input should be 'cpu', 'cuda' or 'auto', got 'tpu'"]),
    ("metric-spec-typo", "name: t\nmetrics: [{name: acc, primry: true}]\nmodels: []\n",
     ["metrics[0] ('acc').primry: unknown key (did you mean 'primary'?)"]),
    ("yaml-syntax", "name: t\nmodels: [1, 2\n",
     None),  # message checked separately: invalid YAML at line, column
    ("top-level-list", "- a\n- b\n", None),
    ("missing-models-file", "name: t\nmodels: nowhere.yaml\n", None),
]


def _load(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "experiments.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_experiment(path, cache_dir=tmp_path / "cache")
    prefix = f"{path}: "
    assert all(p.startswith(prefix) for p in info.value.problems), info.value.problems
    return [p[len(prefix):] for p in info.value.problems]


@pytest.mark.parametrize(("case", "extra", "expected"), CASES, ids=[c[0] for c in CASES])
def test_model_problem_names_culprit(tmp_path: Path, case: str, extra: str, expected: list[str]):
    assert _load(tmp_path, HEAD + extra) == expected


@pytest.mark.parametrize(("case", "text", "expected"), [w for w in WHOLE if w[2]],
                         ids=[w[0] for w in WHOLE if w[2]])
def test_config_problem_names_field(tmp_path: Path, case: str, text: str, expected: list[str]):
    assert sorted(_load(tmp_path, text)) == sorted(expected)


def test_yaml_syntax_error_gives_position(tmp_path: Path):
    assert _load(tmp_path, "name: t\nmodels: [1, 2\n") == [
        "invalid YAML at line 3, column 1: expected ',' or ']', but got '<stream end>'"]


def test_top_level_must_be_mapping(tmp_path: Path):
    assert _load(tmp_path, "- a\n- b\n") == ["expected a mapping at the top level, got list"]


def test_missing_models_file_names_path(tmp_path: Path):
    problems = _load(tmp_path, "name: t\nmodels: nowhere.yaml\n")
    assert problems == [f"models: file not found: {tmp_path / 'nowhere.yaml'}"]


def test_alias_bomb_refused_quickly(tmp_path: Path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    problems = _load(tmp_path, "\n".join(lines) + "\n")
    assert problems == ["YAML expands to more than 2,000,000 nodes (alias bomb?); refusing to load it"]


def test_recursive_alias_refused(tmp_path: Path):
    assert _load(tmp_path, "name: &a [*a]\n") == ["YAML has a recursive alias; refusing to load it"]


def test_invalid_json(tmp_path: Path):
    path = tmp_path / "models.json"
    path.write_text('{"models": [}')
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    assert info.value.problems == [f"{path}: invalid JSON at line 1, column 13: Expecting value"]


def test_all_problems_reported_together(tmp_path: Path):
    text = HEAD + textwrap.indent(textwrap.dedent("""\
        - {id: a, base: nope}
        - {id: b, base: root, metrics: {acc: .nan}}
    """), "  ")
    assert _load(tmp_path, text) == [
        "model 'a': base: 'nope' is not a model id",
        "model 'b': metrics.acc: must be a finite number, got nan (use null for a missing value)",
    ]
