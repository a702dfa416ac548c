"""Relative cache directories: "{cache_dir}" in the models path and the results cache agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.experiment.loader import load_experiment

MODELS = "name: t\nmetrics: [{name: acc, primary: true}]\nmodels:\n  - {id: root, metrics: {acc: 0.9}}\n"


def _config(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "experiments.yaml"
    path.write_text('name: t\nmodels: "{cache_dir}/built/models.yaml"\n' + extra)
    return path


def test_relative_cache_dir_from_the_caller_means_the_working_directory(tmp_path: Path, monkeypatch):
    config = _config(tmp_path / "cfg")
    (tmp_path / "work" / "cc" / "built").mkdir(parents=True)
    (tmp_path / "work" / "cc" / "built" / "models.yaml").write_text(MODELS)
    monkeypatch.chdir(tmp_path / "work")
    exp = load_experiment(config, cache_dir="cc", build=False)  # CC_CACHE_DIR=cc or --cache-dir cc
    assert exp.cache_dir == tmp_path / "work" / "cc"
    assert exp.models_path == tmp_path / "work" / "cc" / "built" / "models.yaml"


@pytest.mark.parametrize("config_arg", ["cfg/experiments.yaml", "absolute"])
def test_relative_cache_dir_in_the_config_means_the_config_folder(tmp_path: Path, monkeypatch, config_arg):
    config = _config(tmp_path / "cfg", "cache_dir: .cc\n")
    (tmp_path / "cfg" / ".cc" / "built").mkdir(parents=True)
    (tmp_path / "cfg" / ".cc" / "built" / "models.yaml").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    exp = load_experiment(config if config_arg == "absolute" else config_arg, build=False)
    assert exp.cache_dir == tmp_path / "cfg" / ".cc"
    assert exp.models_path.resolve() == tmp_path / "cfg" / ".cc" / "built" / "models.yaml"
    assert exp.forest["root"].metrics["acc"] == 0.9
