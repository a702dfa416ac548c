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
    assert out.stdout.strip().endswith("58 models, 2 roots, 11 operations, 16 metrics")


def test_build_only_builds_once_with_progress(demo_build: tuple[Path, str]):
    cache, stderr = demo_build  # the session's build ran `app.py --build-only`
    assert "demo: training the base CNN" in stderr and "demo: built" in stderr
    assert (cache / "demo-digits-v2" / "models.yaml").is_file()
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
