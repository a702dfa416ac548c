"""The CLI: --check, --print-schema, --build-only and bad configs, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO, reference_tree


def run_cli(*args: str, env_cache: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(REPO / "app.py"), *args]
    if env_cache is not None:
        cmd += ["--cache-dir", str(env_cache)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)


def test_check_reference_json_directly():
    out = run_cli("--check", "--config", str(reference_tree("imagenet.json")))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("52 models, 2 roots, 5 operations, 6 metrics")
    assert len(out.stdout.strip().splitlines()) == 1


def test_check_demo_default_config(demo_cache: Path):
    out = run_cli("--check", env_cache=demo_cache)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("62 models, 2 roots, 12 operations, 16 metrics")


def test_build_only_builds_once_with_progress(demo_build: tuple[Path, str]):
    cache, stderr = demo_build  # the session's build ran `app.py --build-only`
    assert "demo: training the base CNN" in stderr and "demo: built" in stderr
    assert (cache / "demo-digits-v3" / "models.yaml").is_file()
    again = run_cli("--build-only", env_cache=cache)
    assert again.returncode == 0 and "demo: built" not in again.stderr and "training" not in again.stderr


def test_bad_config_exits_2_one_line_per_problem(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\nmodels:\n  - {id: a, base: b}\n  - {id: c, metrics: {x: .nan}}\n")
    out = run_cli("--check", "--config", str(bad))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        f"{bad}: model 'a': base: 'b' is not a model id",
        f"{bad}: model 'c': metrics.x: must be a finite number, got nan (use null for a missing value)",
    ]


def test_alias_bomb_fails_fast(tmp_path: Path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    t0 = time.perf_counter()
    out = run_cli("--check", "--config", str(bomb))
    assert out.returncode == 2 and time.perf_counter() - t0 < 30
    assert out.stderr.strip() == f"{bomb}: YAML expands to more than 2,000,000 nodes (alias bomb?); refusing to load it"


def test_missing_config_file(tmp_path: Path):
    out = run_cli("--check", "--config", str(tmp_path / "nope.yaml"))
    assert out.returncode == 2
    assert out.stderr.strip() == f"{tmp_path / 'nope.yaml'}: cannot read file (No such file or directory)"


def test_print_schema_is_json_schema():
    out = run_cli("--print-schema")
    assert out.returncode == 0
    schema = json.loads(out.stdout)
    assert schema["title"] == "Compress & Compare experiments.yaml"
    assert {"name", "models", "metrics", "operations", "inspector", "cache_dir"} <= set(schema["properties"])
    assert "higher_is_better" in schema["$defs"]["MetricSpec"]["properties"]


def test_check_reports_every_problem_in_one_run(tmp_path: Path):
    """Type errors used to hide the structural checks: six problems took two runs to see."""
    bad = tmp_path / "experiments.yaml"
    bad.write_text("name: t\nmetrics: [{name: Accuracy, format: 12}, {name: size, min: 5, max: 1}]\n"
                   "models:\n  - {id: root, tag: [x], metrics: {Accuracy: 0.9}}\n"
                   "  - {id: a, base: b, metrics: {Accuracy: .nan}}\n  - {id: b, base: a}\n"
                   "  - {id: c, base: root, metrics: {accuracy: 0.5}, checkpoint: c.pt}\n")
    out = run_cli("--check", "--config", str(bad))
    assert out.returncode == 2 and out.stdout == "" and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        f"{bad}: metrics[0] ('Accuracy').format: must be a string, got 12",
        f"{bad}: metrics[1] ('size').min: 5 is above max 1 (a range needs min <= max)",
        f"{bad}: model 'root': tag: must be a string, got ['x']",
        f"{bad}: model 'a': metrics.Accuracy: must be a finite number, got nan (use null for a missing value)",
        f"{bad}: model 'c': metrics.accuracy: metric is not declared in metrics (did you mean 'Accuracy'?)",
        f"{bad}: model 'a': base: cycle of base links: a -> b -> a",
        f"{bad}: model 'c': checkpoint: file not found: {tmp_path / 'c.pt'}",
    ]


def test_check_refuses_an_experiment_without_models(tmp_path: Path):
    empty = tmp_path / "models.yaml"
    empty.write_text("name: live\nmetrics: [{name: acc}]\nmodels: []\n")
    out = run_cli("--check", "--config", str(empty))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip() == (f"{empty}: models: the experiment has no models (the list is empty); "
                                  "--check needs at least one (the app starts and waits for them)")


def test_check_says_which_checks_it_skipped(tmp_path: Path):
    config = tmp_path / "experiments.yaml"
    config.write_text("name: t\nmodels: models.json\ninspector: {module: m, clas: C}\n")
    (tmp_path / "models.json").write_text('{"models": [}')
    out = run_cli("--check", "--config", str(config))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1] == (
        f"{config}: not checked until the problems above are fixed: the models (ids, bases, cycles, metric "
        "values, references to metrics and operations, checkpoints): the models file could not be read; "
        "the inspector import (its section has problems)")


def test_check_warns_about_a_metric_declared_twice_and_passes(tmp_path: Path):
    (tmp_path / "models.yaml").write_text("metrics: [{name: acc, format: '.3f'}]\nmodels: [{id: r, metrics: {acc: 1}}]\n")
    config = tmp_path / "experiments.yaml"
    config.write_text("name: t\nmodels: models.yaml\nmetrics: [{name: acc, primary: true}]\n")
    out = run_cli("--check", "--config", str(config))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("t: 1 models, 1 roots, 0 operations, 1 metrics")
    assert out.stderr.strip() == (f"warning: {config}: metric 'acc' is declared here and in "
                                  f"{tmp_path / 'models.yaml'}; merged field by field (format from "
                                  "models.yaml; primary from experiments.yaml)")
