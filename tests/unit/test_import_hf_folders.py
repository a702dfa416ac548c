"""The Hugging Face folders importer: model cards written in the test become the forest (parents
from base_model, operations from base_model_relation and compression:, metrics from model-index,
each folder its checkpoint); a real save_pretrained T5 loads through the config's inspector;
bad cards are one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import app as cli
from backend.experiment.errors import ConfigError
from backend.experiment.importers.hf_folders import read_card
from backend.experiment.loader import collect, load_experiment


def _model(root: Path, folder: str, card: dict | str | None, files: tuple[str, ...] = ("config.json",)) -> Path:
    """A model folder: a README.md card (front matter from a dict, or the text as given) and files."""
    path = root / folder
    path.mkdir(parents=True, exist_ok=True)
    for name in files:
        (path / name).write_text("{}\n")
    if isinstance(card, dict):
        (path / "README.md").write_text(f"---\n{yaml.safe_dump(card, sort_keys=False)}---\n\n# {folder}\n\nText.\n")
    elif isinstance(card, str):
        (path / "README.md").write_text(card)
    return path


def _index(model: str, *metrics: dict, dataset: str = "squad") -> list[dict]:
    return [{"name": model, "results": [{"task": {"type": "question-answering"},
                                         "dataset": {"name": dataset, "type": dataset},
                                         "metrics": list(metrics)}]}]


def _config(folder: Path, extra: str = "", where: str = "./checkpoints") -> Path:
    path = folder / "experiments.yaml"
    path.write_text(f"name: hf\nmodels:\n  huggingface:\n    folder: {where}\n{extra}")
    return path


@pytest.fixture
def checkpoints(tmp_path: Path) -> Path:
    root = tmp_path / "checkpoints"
    _model(root, "base", {"model_name": "My Base Model", "license": "apache-2.0",
                          "model-index": _index("My Base Model", {"type": "f1", "value": 88.5, "name": "F1"},
                                                {"type": "exact_match", "value": 80.1})})
    _model(root, "int4", {"base_model": "base", "base_model_relation": "quantized",
                          "compression": {"method": "gptq", "bits": 4, "group": {"size": 128},
                                          "skip": ["lm_head", "embed"]},
                          "model-index": _index("int4", {"type": "f1", "value": 86.0, "name": "F1"},
                                                {"type": "f1", "value": 70.0, "name": "F1"})})
    _model(root, "lora", {"base_model": "My Base Model"}, files=("adapter_config.json",))
    _model(root, "ft", {"base_model": "someorg/base", "model-index": _index("ft", {"type": "f1", "value": "87.0"})})
    _model(root, "merged", {"base_model": ["int4", "ft"], "base_model_relation": "merge"})
    _model(root, "external", {"base_model": "google/flan-t5-small", "base_model_relation": "finetune"})
    _model(root, "no-card", None)
    (root / ".cache").mkdir()
    (root / "logs").mkdir()  # neither a card nor a model's config: not a model
    return root


def test_cards_build_the_forest(checkpoints: Path):
    config = _config(checkpoints.parent)
    found = collect(config, checkpoints.parent / "cache")
    assert found.problems == []
    forest = found.experiment.forest
    assert forest.ids == ["base", "external", "ft", "int4", "lora", "merged", "no-card"]
    assert {m: forest.parent(m) for m in forest.ids} == {
        "base": None, "external": None, "ft": "base", "int4": "base", "lora": "base", "merged": "int4",
        "no-card": None}
    assert forest["base"].operation is None and forest["base"].tag == "My Base Model"
    assert forest["int4"].operation.name == "quantized"
    assert dict(forest["int4"].operation.parameters) == {"method": "gptq", "bits": 4, "group.size": 128,
                                                         "skip": "lm_head, embed"}
    assert forest["lora"].operation.name == "adapter"  # inferred from adapter_config.json, as the Hub does
    assert forest["ft"].operation.name == "finetune" and forest["merged"].operation.name == "merge"
    assert forest["external"].operation.name == "finetune"  # a root that still says what it was
    assert dict(forest["base"].metrics) == {"F1": 88.5, "exact_match": 80.1}
    assert dict(forest["int4"].metrics) == {"F1": 86.0, "F1 (squad)": 70.0}  # a name met twice in one card
    assert dict(forest["ft"].metrics) == {"f1": 87.0}  # by type, when the metric has no name
    assert all(forest[m].checkpoint == checkpoints / m for m in forest.ids)
    warnings = "\n".join(found.warnings)
    assert (f"{config}: models.huggingface: folder 'external': base_model 'google/flan-t5-small' matches no "
            f"other folder under {checkpoints}") in warnings and "shown as a root" in warnings
    assert f"{config}: models.huggingface: folder 'no-card' has no README.md model card" in warnings


def test_declared_metrics_select_and_check_passes(checkpoints: Path, capsys):
    config = _config(checkpoints.parent, "metrics:\n  - {name: F1, primary: true, format: '.1f'}\n")
    forest = load_experiment(config, cache_dir=checkpoints.parent / "cache").forest
    assert dict(forest["base"].metrics) == {"F1": 88.5} and [m.name for m in forest.metrics] == ["F1"]
    assert cli.main(["--check", "--config", str(config), "--cache-dir", str(checkpoints.parent / "cache")]) == 0
    out, _ = capsys.readouterr()
    assert out.strip().endswith("7 models, 3 roots, 4 operations, 1 metrics")


def test_new_folder_appears_on_reread(checkpoints: Path):
    from app import create_app
    from server.context import experiment

    config = _config(checkpoints.parent)
    app = create_app(config, checkpoints.parent / "cache")
    with app.server.app_context():
        first = experiment()
        assert len(first.forest) == 7 and experiment() is first
        _model(checkpoints, "int4-ft", {"base_model": "int4", "base_model_relation": "finetune"})
        assert experiment().forest.parent("int4-ft") == "int4"


def test_broken_card_yaml_is_one_line_with_the_files_line_number(tmp_path: Path):
    root = tmp_path / "checkpoints"
    _model(root, "base", {"license": "mit"})
    card = _model(root, "child", "---\nbase_model: base\nbase_model_relation: [quantized\n---\n# x\n") / "README.md"
    config = _config(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_experiment(config, cache_dir=tmp_path / "cache")
    assert info.value.problems == [f"{card}: invalid YAML at line 3, column 32: expected ',' or ']', but got '<stream end>'"]


@pytest.mark.parametrize(("text", "expected"), [
    ("---\nbase_model: base\n", "the card's YAML front matter starts with '---' on line 1 but has no closing '---'"),
    ("---\n- a\n- b\n---\n", "the card's front matter must be a mapping, got list"),
    ("---\nbase_model: {x: 1}\n---\n", "base_model: must be a model name or a list of them, got {'x': 1}"),
    ("---\nbase_model: base\ncompression: {bits: [{x: 1}]}\n---\n",
     "compression.bits: must be a scalar (number, string, true/false or null), got [{'x': 1}]"),
    ("---\nbase_model: base\nbase_model_relation: 4\n---\n",
     "base_model_relation: must be one of quantized, finetune, adapter, merge, got 4"),
    ("---\nmodel-index: {name: x}\n---\n", "model-index: must be a list of {name, results}, got {'name': 'x'}"),
    ("---\na: &a [x]\nb: *a\nc: !!python/object:os.system x\n---\n", "could not determine a constructor"),
])
def test_bad_cards_are_one_line_naming_the_card(tmp_path: Path, text: str, expected: str):
    root = tmp_path / "checkpoints"
    _model(root, "base", {"license": "mit"})
    card = _model(root, "child", text) / "README.md"
    with pytest.raises(ConfigError) as info:
        load_experiment(_config(tmp_path), cache_dir=tmp_path / "cache")
    [line] = info.value.problems
    assert line.startswith(f"{card}: ") and expected in line, line


def test_card_without_front_matter_and_missing_folder(tmp_path: Path):
    assert read_card(_model(tmp_path, "plain", "# Just a title\n") / "README.md") == {}
    config = _config(tmp_path, where="./nowhere")
    with pytest.raises(ConfigError) as info:
        load_experiment(config, cache_dir=tmp_path / "cache")
    assert info.value.problems == [f"{config}: models.huggingface.folder: folder not found: {tmp_path / 'nowhere'}"]


def test_save_pretrained_folder_is_the_checkpoint_of_the_config_inspector(tmp_path: Path):
    """A real tiny T5 saved with save_pretrained and its card: the config's Seq2SeqInspector loads
    the imported model's folder and answers, with no Python written."""
    pytest.importorskip("transformers", reason="the [hf] extra (transformers) is not installed")
    from backend.inference.engine import Engine
    from backend.inference.loading import make_inspector
    from backend.infra.cache import ResultCache
    from tests.support import tiny_hf

    root = tmp_path / "checkpoints"
    tiny_hf.save_t5(root / "t5")
    tiny_hf.save_t5(root / "t5-noise", seed=1)
    (root / "t5" / "README.md").write_text("---\nmodel-index:\n- name: t5\n  results:\n  - task: {type: qa}\n"
                                           "    dataset: {name: toy, type: toy}\n"
                                           "    metrics: [{type: exact_match, value: 0.0}]\n---\n# t5\n")
    (root / "t5-noise" / "README.md").write_text("---\nbase_model: t5\nbase_model_relation: finetune\n---\n")
    tiny_hf.write_qa(tmp_path / "qa.jsonl")
    config = _config(tmp_path, "inspector:\n  module: backend.inference.hf\n  class: Seq2SeqInspector\n"
                     "  device: cpu\n  batch_size: 6\n" + f"  options: {json.dumps({'data': 'qa.jsonl', 'max_new_tokens': 3})}\n")
    exp = load_experiment(config, cache_dir=tmp_path / "cache")
    assert exp.forest.parent("t5-noise") == "t5" and exp.forest["t5-noise"].checkpoint == root / "t5-noise"
    inspector = make_inspector(exp.inspector, exp.config_path.parent, tmp_path / "cache")
    engine = Engine(exp.forest, inspector, ResultCache(tmp_path / "cache" / "results"))
    out = engine.predictions("t5-noise")
    assert len(out["text"]) == 12 and set(out["exact_match"].tolist()) <= {0.0, 1.0}
    assert cli.main(["--check", "--config", str(config), "--cache-dir", str(tmp_path / "cache")]) == 0
