"""The guide's examples run as a new user would run them: each fenced block marked
``# docs-example: folder/file`` (or preceded by ``<!-- docs-example: folder/file -->``) in
docs/inspectors.md is written to that file, its training script is run in that folder, and the
app's loader, inspector and engine give predictions whose accuracy is the one the script logged.
docs/config.md names every key of the schema."""

from __future__ import annotations

import io
import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backend.experiment.loader import load_experiment
from backend.experiment.schema import json_schema
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.infra.cache import ResultCache
from tests.conftest import REPO

INSPECTORS_MD = REPO / "docs" / "inspectors.md"
CONFIG_MD = REPO / "docs" / "config.md"
BLOCK = re.compile(r"(?:<!-- docs-example: (?P<before>\S+) -->\n)?```[a-z]*\n"
                   r"(?:# docs-example: (?P<inside>\S+)\n)?(?P<body>.*?)^```", re.S | re.M)


def examples(markdown: str) -> dict[str, str]:
    """Marked blocks by their file name ('iris/train.py'), marker line included."""
    out = {}
    for match in BLOCK.finditer(markdown):
        name = match["before"] or match["inside"]
        if name:
            assert name not in out, f"two blocks are marked {name}"
            marker = f"# docs-example: {name}\n" if match["inside"] else ""
            out[name] = marker + match["body"]
    return out


def write_example(folder: Path, prefix: str) -> Path:
    """The example's files under ``folder``; returns its folder."""
    blocks = {k: v for k, v in examples(INSPECTORS_MD.read_text()).items() if k.startswith(prefix + "/")}
    assert blocks, f"docs/inspectors.md has no block marked {prefix}/..."
    for name, text in blocks.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder / prefix


@pytest.fixture
def run_script(monkeypatch):
    """Run a script of an example as ``python script`` would from its folder; forget the
    example's own modules afterwards (the next example may reuse a name)."""
    folders: list[str] = []

    def run(path: Path, source: str | None = None) -> None:
        if source is not None:
            path.write_text(source)
        folders.append(str(path.parent))
        monkeypatch.chdir(path.parent)
        monkeypatch.syspath_prepend(str(path.parent))
        runpy.run_path(str(path), run_name="__main__")

    yield run
    for name, module in list(sys.modules.items()):
        if any(str(getattr(module, "__file__", None) or "").startswith(f + "/") for f in folders):
            del sys.modules[name]


def _engine(config: Path, tmp_path: Path) -> Engine:
    exp = load_experiment(config)
    inspector = make_inspector(exp.inspector, exp.config_path.parent, tmp_path / "cache")
    return Engine(exp.forest, inspector, ResultCache(tmp_path / "cache" / "results"))


def _accuracy(engine: Engine, model: str) -> float:
    return float((engine.predictions(model)["probs"].argmax(1) == engine.dataset.labels).mean())


def test_the_40_line_inspector_runs_as_documented(tmp_path, run_script):
    folder = write_example(tmp_path, "iris")
    inspector = (folder / "my_inspector.py").read_text()
    assert len(inspector.splitlines()) <= 40, "the guide promises an inspector in 40 lines"
    config = [line for line in (folder / "experiments.yaml").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert len(config) == 6, config
    run_script(folder / "train.py")
    engine = _engine(folder / "experiments.yaml", tmp_path)
    assert [m.id for m in engine.forest] == ["mlp", "mlp-p50", "mlp-p90"]
    assert engine.dataset.class_names == ["setosa", "versicolor", "virginica"] and len(engine.dataset) == 75
    for model in ("mlp", "mlp-p50", "mlp-p90"):
        assert _accuracy(engine, model) == pytest.approx(engine.forest[model].metrics["accuracy"], abs=1e-6)
    assert engine.forest["mlp"].metrics["accuracy"] > 0.9
    assert (np.asarray(engine.parameters("mlp-p90")["0.weight"]) == 0).mean() == pytest.approx(0.9, abs=0.02)
    assert list(engine.activations("mlp")) == ["0", "1", "2"]
    assert engine.render_instance(0).data.startswith("sepal length (cm): ")


def test_the_image_classifier_example_runs_as_documented(tmp_path, run_script):
    folder = write_example(tmp_path, "digits")
    run_script(folder / "train.py")
    engine = _engine(folder / "experiments.yaml", tmp_path)
    assert engine.dataset.class_names == [str(d) for d in range(10)] and len(engine.dataset) == 597
    for model in ("cnn", "cnn-p70", "cnn-p95"):
        assert _accuracy(engine, model) == pytest.approx(engine.forest[model].metrics["accuracy"], abs=1e-6)
    assert engine.forest["cnn"].metrics["accuracy"] > 0.85
    thumbnail = Image.open(io.BytesIO(engine.render_instance(0).data))
    assert thumbnail.size == (64, 64) and thumbnail.mode == "L"


def test_the_text_classifier_example_runs_on_a_local_model(tmp_path, run_script):
    """The example downloads DistilBERT from the Hub; here a tiny BERT saved in the test (with
    the same class names) stands in for it, and everything else runs as written."""
    pytest.importorskip("transformers", reason="the [hf] extra (transformers) is not installed")
    from tests.support.tiny_hf import save_classifier

    folder = write_example(tmp_path, "sst2")
    hub = save_classifier(tmp_path / "hub" / "tiny", {0: "NEGATIVE", 1: "POSITIVE"})
    source = (folder / "save.py").read_text()
    name_line = next(line for line in source.splitlines() if line.startswith("NAME = "))
    run_script(folder / "save.py", source.replace(name_line, f"NAME = {str(hub)!r}"))
    engine = _engine(folder / "experiments.yaml", tmp_path)
    assert engine.dataset.class_names == ["NEGATIVE", "POSITIVE"]
    assert engine.dataset.labels.tolist() == [1, 0, 1]
    base = engine.predictions("sst2")["probs"]
    assert base.shape == (3, 2)
    assert not np.allclose(engine.predictions("sst2-p50")["probs"], base)
    assert engine.predictions("sst2-int8")["probs"].shape == (3, 2)


def _schema_keys(node: object, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in (node.get("properties") or {}).items():
            out.add(key)
            _schema_keys(value, out)
        for key, value in node.items():
            if key != "properties":
                _schema_keys(value, out)
    elif isinstance(node, list):
        for value in node:
            _schema_keys(value, out)
    return out


def test_config_md_names_every_key_of_the_schema():
    text = CONFIG_MD.read_text()
    every_key = text[text.index("## Every key"):]
    named = set(re.findall(r"`(?:[a-z_]+\.)*([a-z_]+)`", every_key))
    missing = sorted(_schema_keys(json_schema(), set()) - named)
    assert not missing, f"docs/config.md's 'Every key' section does not name {missing}"


def test_the_docs_are_linked_from_the_readme():
    readme = (REPO / "README.md").read_text()
    assert "(docs/inspectors.md)" in readme and "(docs/config.md)" in readme
