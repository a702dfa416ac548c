"""Shared fixtures: where the reference trees live (read in place, never copied).

The reference implementation's experiment trees are not part of this repository. Tests find
them through ``CC_REFERENCE_TREES`` (a relative path is taken from the repository root); the
default is ``../shared/fixtures/reference-trees`` beside the checkout. Where the folder is
absent, every test that needs it skips with one line; nothing reads it at collection.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE_TREES = (REPO / (os.environ.get("CC_REFERENCE_TREES") or "../shared/fixtures/reference-trees")).resolve()
REFERENCE_FILES = [
    "celeba.json",
    "cifar10.json",
    "imagenet.json",
    "imagenet-userstudy-part1.json",
    "imagenet-userstudy-tutorial.json",
    "t5-squad.json",
]
MISSING_REFERENCE_TREES = f"reference trees not found at {REFERENCE_TREES}: set CC_REFERENCE_TREES"


def require_reference_trees() -> Path:
    """The reference trees folder, or skip the calling test."""
    if not REFERENCE_TREES.is_dir():
        pytest.skip(MISSING_REFERENCE_TREES)
    return REFERENCE_TREES


def reference_tree(name: str) -> Path:
    """Path of one reference tree file (skips the test where the folder is absent)."""
    return require_reference_trees() / name


@pytest.fixture(scope="session")
def reference_trees() -> Path:
    """The folder of the reference's model-spec JSON files (skips where it is absent)."""
    return require_reference_trees()


def load_reference_json(name: str) -> dict:
    """Raw JSON of one reference tree file (skips the test where the folder is absent)."""
    return json.loads(reference_tree(name).read_text())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report every missing-reference-trees skip at one place, so ``-rs`` folds them into one
    line (pytest reports a skip raised in a fixture at each test's own line)."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) \
            and str(report.longrepr[2]).endswith(MISSING_REFERENCE_TREES):
        report.longrepr = (__file__, None, report.longrepr[2])
    return report


@pytest.fixture(scope="session")
def generated_experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An experiment the tests generate themselves (52 models, 2 roots, reference JSON format),
    for tests that need "some experiment" and must run in any clone."""
    from tests.support.forests import synthetic_models_doc

    path = tmp_path_factory.mktemp("generated") / "generated-forest.json"
    path.write_text(json.dumps(synthetic_models_doc(52, roots=2)))
    return path


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


@pytest.fixture(scope="session")
def text_demo_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The text demo (T5 question answering) built once per session, the way a user builds it:
    ``app.py --config configs/demo-text.yaml --build-only``.

    Returns the cache directory and what the build printed on stderr (about three minutes).
    Skips where the optional extra [hf] (transformers) is not installed.
    """
    import subprocess
    import sys

    pytest.importorskip("transformers")
    prebuilt = os.environ.get("CC_TEST_TEXT_DEMO_CACHE")  # a cache already holding the build (local reruns)
    if prebuilt and (Path(prebuilt) / "demo-text-v1" / "models.yaml").is_file():
        return Path(prebuilt), ""
    cache = tmp_path_factory.mktemp("text-demo-cache")
    out = subprocess.run([sys.executable, str(REPO / "app.py"), "--config", str(REPO / "configs" / "demo-text.yaml"),
                          "--build-only", "--cache-dir", str(cache)],
                         capture_output=True, text=True, timeout=1200, cwd=REPO)
    if out.returncode != 0:
        pytest.fail(f"text demo build failed ({out.returncode}): {out.stderr[-2000:]}")
    return cache, out.stderr


@pytest.fixture(scope="session")
def text_demo_cache(text_demo_build: tuple[Path, str]) -> Path:
    """A cache directory holding the built text demo."""
    return text_demo_build[0]


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throw-away PostgreSQL cluster for the session (tests.support.postgres); skips with one
    line where none can start, except under CI (env CI set), where that is a failure."""
    from contextlib import ExitStack

    from tests.support.postgres import PostgresUnavailable, throwaway_cluster

    with ExitStack() as stack:
        try:
            cluster = stack.enter_context(throwaway_cluster())
        except PostgresUnavailable as exc:
            if os.environ.get("CI"):
                pytest.fail(f"CI: {exc}")
            pytest.skip(str(exc))
        yield cluster


@pytest.fixture
def postgres_url(postgres_cluster) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL cluster."""
    return postgres_cluster.database()
