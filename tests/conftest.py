"""Shared fixtures: where the reference trees live (read in place, never copied)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE_TREES = SHARED / "fixtures" / "reference-trees"
REFERENCE_FILES = [
    "celeba.json",
    "cifar10.json",
    "imagenet.json",
    "imagenet-userstudy-part1.json",
    "imagenet-userstudy-tutorial.json",
    "t5-squad.json",
]


@pytest.fixture(scope="session")
def reference_trees_dir() -> Path:
    """The folder of the reference's model-spec JSON files (../shared beside the checkout)."""
    if not REFERENCE_TREES.is_dir():
        pytest.fail(f"reference trees not found at {REFERENCE_TREES}: ../shared must sit beside the repo")
    return REFERENCE_TREES


def load_reference_json(name: str) -> dict:
    """Raw JSON of one reference tree file."""
    return json.loads((REFERENCE_TREES / name).read_text())


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo built once per session, the way a user builds it: ``app.py --build-only``.

    Returns the cache directory and what the build printed on stderr (about a minute).
    """
    import subprocess
    import sys

    cache = tmp_path_factory.mktemp("demo-cache")
    out = subprocess.run([sys.executable, str(REPO / "app.py"), "--build-only", "--cache-dir", str(cache)],
                         capture_output=True, text=True, timeout=900, cwd=REPO)
    if out.returncode != 0:
        pytest.fail(f"demo build failed ({out.returncode}): {out.stderr[-2000:]}")
    return cache, out.stderr


@pytest.fixture(scope="session")
def demo_cache(demo_build: tuple[Path, str]) -> Path:
    """A cache directory holding the built demo."""
    return demo_build[0]


@pytest.fixture(scope="session")
def demo_experiment(demo_cache: Path):
    """The loaded demo experiment (real trained models)."""
    from backend.experiment.loader import load_experiment

    return load_experiment(REPO / "configs" / "demo.yaml", cache_dir=demo_cache)
