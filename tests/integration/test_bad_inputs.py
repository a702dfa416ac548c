"""The bad-input corpus (tests/data/bad_inputs): each case fails in one line that names its culprit.

Config cases run through the CLI's own ``main(["--check", ...])`` in-process (fast), a handful
through a real ``python app.py --check`` subprocess (exit 2, no traceback). URL cases go through
the pages router of a real gunicorn server (and the callbacks a page load fires), which must
keep serving afterwards. Inspector cases go through the Engine, and one through the Behaviors
page's background job function. Regex cases go through backend.infra.safe_regex (and the Layers URL).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

import app as cli
from backend.experiment.loader import load_experiment
from backend.experiment.safe_yaml import MAX_FILE_BYTES
from backend.experiment.schema import InspectorSpec
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.inference.protocol import InspectorError
from backend.infra.cache import ResultCache
from tests.conftest import REPO
from tests.support import tiny
from tests.support.bad_experiment import write_experiment
from tests.support.renderer import Renderer, run_job_inline
from tests.support.servers import gunicorn_app

CORPUS = REPO / "tests" / "data" / "bad_inputs"
CONFIGS = CORPUS / "configs"
CONFIG_CASES = sorted(d.name for d in CONFIGS.iterdir() if (d / "expect.txt").is_file())
# the same path a user takes, as a separate process: exit status 2 and stderr, no traceback
CLI_CASES = ["yaml-unclosed-bracket", "duplicate-id", "alias-bomb", "huge-models-file",
             "inspector-module-missing", "cycle-hidden-behind-type-errors", "checkpoint-missing"]
INSPECTOR_CASES = yaml.safe_load((REPO / "tests" / "support" / "inspectors" / "cases.yaml").read_text())


# --- generated cases: too big (or too odd) to commit ----------------------------------------------
def _huge_models_file(case: Path) -> None:
    """A sparse file just over the size limit: costs no disk, refused before it is read."""
    with open(case / "models.yaml", "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)


def _deeply_nested(case: Path) -> None:
    depth = 150  # past the limit on nesting, far below any recursion limit
    (case / "models.yaml").write_text("models: " + "[" * depth + "]" * depth + "\n")


def _deeply_nested_json(case: Path) -> None:
    depth = 100_000  # far past any recursion limit; json's C parser is quick
    (case / "models.json").write_text('{"models": ' + "[" * depth + "]" * depth + "}")


def _long_id(case: Path) -> None:
    (case / "models.yaml").write_text(f"models:\n  - {{id: {'x' * 200_000}, base: nope}}\n")


GENERATED = {"huge-models-file": _huge_models_file, "deeply-nested": _deeply_nested,
             "deeply-nested-json": _deeply_nested_json,
             "long-id-in-message": _long_id}


def stage_case(case: str, tmp_path: Path) -> Path:
    """Copy a case to tmp_path (generating what is not committed); return its config file."""
    target = tmp_path / case
    shutil.copytree(CONFIGS / case, target)
    if case in GENERATED:
        GENERATED[case](target)
    return target / "experiments.yaml"


def _expect(case: str) -> str:
    return (CONFIGS / case / "expect.txt").read_text().strip()


def _assert_problem_lines(err: str, case_dir: Path, expected: str) -> None:
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert lines, "no problem reported"
    for line in lines:  # every line names a file of the case (config or models file)
        assert line.startswith(str(case_dir) + os.sep), line
        assert len(line) < 1000, f"an unreadable message of {len(line)} characters"
    assert any(expected in line for line in lines), (expected, lines)


def _lines(name: str) -> list[str]:
    return [line for line in (CORPUS / name).read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_corpus_is_large_enough():
    assert len(CONFIG_CASES) + len(_lines("urls.txt")) + len(INSPECTOR_CASES) + len(_lines("regex.txt")) >= 40
    assert not set(GENERATED) - set(CONFIG_CASES) and set(CLI_CASES) <= set(CONFIG_CASES)


@pytest.mark.parametrize("case", CONFIG_CASES)
def test_config_case_in_process(case: str, tmp_path: Path, capsys):
    config = stage_case(case, tmp_path)
    code = cli.main(["--check", "--config", str(config), "--cache-dir", str(tmp_path / "cache")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    _assert_problem_lines(err, config.parent, _expect(case))


@pytest.mark.parametrize("case", CLI_CASES)
def test_config_case_through_cli(case: str, tmp_path: Path):
    config = stage_case(case, tmp_path)
    out = subprocess.run([sys.executable, str(REPO / "app.py"), "--check", "--config", str(config),
                          "--cache-dir", str(tmp_path / "cache")],
                         capture_output=True, text=True, timeout=120, cwd=REPO)
    assert out.returncode == 2 and out.stdout == ""
    _assert_problem_lines(out.stderr, config.parent, _expect(case))


# cases whose models file loads on its own: the problem is --check's (a missing checkpoint, no
# models) or lies between it and the case's experiments.yaml (a metric declared with two formats)
LOADS_ALONE = {"checkpoint-missing", "no-models-in-models-file", "metric-conflicts-with-models-file",
               "operation-parameter-conflicts-with-models-file"}


def _models_file_cases(suffix: str) -> list[str]:
    names = {"deeply-nested-json": "json"}  # generated files: the suffix they are written with
    return [c for c in CONFIG_CASES if c not in LOADS_ALONE and ((CONFIGS / c / f"models.{suffix}").is_file()
            or (c in GENERATED and names.get(c, "yaml") == suffix))]


@pytest.mark.parametrize("case", sorted(LOADS_ALONE))
def test_models_file_that_loads_alone_is_refused_with_its_config(case: str, tmp_path: Path):
    """The cases left out of the live test below: their models file alone loads, the case does not."""
    config = stage_case(case, tmp_path)
    load_experiment(config.parent / "models.yaml", cache_dir=tmp_path / "cache")
    assert cli.main(["--check", "--config", str(config), "--cache-dir", str(tmp_path / "cache")]) == 2


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_running_app_keeps_serving_when_its_models_file_breaks(tmp_path: Path, caplog, suffix: str):
    """A running experiment's models file is re-read on change: a broken version is refused in one
    logged line and the app keeps serving the last good models."""
    live = tmp_path / f"models.{suffix}"
    live.write_text('{"models": [{"id": "root", "metrics": {"acc": 0.9}}, '
                    '{"id": "kept", "base": "root", "metrics": {"acc": 0.8}}]}\n')
    (tmp_path / "experiments.yaml").write_text(f"name: live\nmodels: models.{suffix}\n")
    app = cli.create_app(tmp_path / "experiments.yaml", tmp_path / "cache")
    page = Renderer.for_flask(app.server)
    assert "2 models" in page.open("/").text
    cases = _models_file_cases(suffix)
    assert len(cases) >= 5
    for i, case in enumerate(cases):
        staged = stage_case(case, tmp_path / "staged").parent
        os.replace(staged / live.name, live)
        os.utime(live, ns=(10**18 + i, 10**18 + i))  # a new mtime each time
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="server.context"):
            view = page.open("/?sel=kept")
        assert view.status == 200, (case, view.body[-300:])
        assert "2 models" in view.text and "1 Model Selected: kept" in view.text, case
        logged = [r.getMessage() for r in caplog.records]
        assert len(logged) == 1 and str(live) in logged[0], (case, logged)
        assert "\n" not in logged[0]


# --- inspector plug-ins ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_experiment(tmp_path_factory) -> Path:
    """Two tiny real models, one with its checkpoint missing, one with a checkpoint of junk."""
    root = tmp_path_factory.mktemp("tiny")
    (root / "ckpt").mkdir()
    tiny.save_linear(root / "ckpt" / "base.pt", seed=0)
    tiny.save_linear(root / "ckpt" / "child.pt", seed=1)
    (root / "ckpt" / "garbage.pt").write_bytes(b"this is not a torch checkpoint\n" * 10)
    (root / "models.yaml").write_text(
        "models:\n"
        "  - {id: base, checkpoint: ckpt/base.pt}\n"
        "  - {id: child, base: base, checkpoint: ckpt/child.pt}\n"
        "  - {id: nockpt, base: base, checkpoint: ckpt/missing.pt}\n"
        "  - {id: garbage, base: base, checkpoint: ckpt/garbage.pt}\n")
    return root


def _spec(case: dict) -> InspectorSpec:
    return InspectorSpec(module=case.get("module", "tests.support.inspectors.failing"),
                         **{"class": case["class"]}, device="cpu", batch_size=32)


def _generate(case: dict, where: Path, monkeypatch) -> None:
    if case.get("generate") == "syntax_error":
        (where / f"{case['module']}.py").write_text("def broken(:\n    pass\n")
        monkeypatch.syspath_prepend(str(where))


START = [c for c in INSPECTOR_CASES if c["stage"] == "start"]
RENDER = [c for c in INSPECTOR_CASES if c["stage"] == "render"]
PREDICT = [c for c in INSPECTOR_CASES if c["stage"] == "predict"]


@pytest.mark.parametrize("case", START, ids=[c["case"] for c in START])
def test_inspector_fails_at_start_in_one_line(case: dict, tmp_path: Path, monkeypatch, capsys,
                                             tiny_experiment: Path):
    """The CLI names the plug-in problem (exit 2); so does the app when it starts the inspector."""
    _generate(case, tmp_path, monkeypatch)
    config = tmp_path / "experiments.yaml"
    ckpt = tiny_experiment / "ckpt"  # models whose checkpoints exist: --check reports missing ones too
    (tmp_path / "models.yaml").write_text(f"models:\n  - {{id: base, checkpoint: {ckpt / 'base.pt'}}}\n"
                                          f"  - {{id: child, base: base, checkpoint: {ckpt / 'child.pt'}}}\n")
    config.write_text(f"name: t\nmodels: {tmp_path / 'models.yaml'}\n"
                      f"inspector: {{module: {case['module']}, class: {case['class']}}}\n")
    with pytest.raises(InspectorError) as info:
        make_inspector(_spec(case))
    assert case["expect"] in str(info.value) and "\n" not in str(info.value)
    code = cli.main(["--check", "--config", str(config), "--cache-dir", str(tmp_path / "cache")])
    _, err = capsys.readouterr()
    if case["case"] == "constructor-fails":  # --check imports the class; it starts on first use
        assert code == 0
    else:
        assert code == 2 and err.strip() == f"{config}: {info.value}"


@pytest.mark.parametrize("case", PREDICT, ids=[c["case"] for c in PREDICT])
def test_inspector_fails_mid_computation_in_one_line(case: dict, tmp_path: Path, tiny_experiment: Path):
    """The Engine turns any plug-in failure into one line naming the model; nothing is cached."""
    forest = load_experiment(tiny_experiment / "models.yaml").forest
    cache = ResultCache(tmp_path / "cache")
    engine = Engine(forest, make_inspector(_spec(case)), cache)
    progress: list[int] = []
    with pytest.raises(InspectorError) as info:
        engine.predictions(case["model"], lambda done, _total, _msg: progress.append(done))
    message = str(info.value)
    assert case["expect"] in message and "\n" not in message, message
    assert not [p for p in (tmp_path / "cache" / "arrays").iterdir()], "a partial entry was cached"
    if case["case"] == "exception-mid-batch":
        assert progress == [32]  # the first batch ran, then the error: still nothing cached
        again = engine.predictions("child")  # a transient failure: the next request succeeds
        assert np.allclose(again["probs"].sum(1), 1, atol=1e-5) and engine.is_cached("predictions", "child")



@pytest.mark.parametrize("case", RENDER, ids=[c["case"] for c in RENDER])
def test_inspector_fails_to_render_in_one_line(case: dict, tmp_path: Path, tiny_experiment: Path):
    forest = load_experiment(tiny_experiment / "models.yaml").forest
    engine = Engine(forest, make_inspector(_spec(case)), ResultCache(tmp_path / "cache"))
    with pytest.raises(InspectorError) as info:
        engine.render_instance(case["row"])
    assert str(info.value) == case["expect"]


@pytest.mark.parametrize("case", RENDER, ids=[c["case"] for c in RENDER])
def test_render_failure_shows_in_its_row_only(case: dict, tmp_path: Path):
    """The Behaviors grid and the Layers instance panel show the one-line error in place of
    the picture; the other rows still draw."""
    from pages import _behaviors_data as bd

    config = write_experiment(tmp_path, inspector=f"{case.get('module', 'tests.support.inspectors.failing')}"
                                                   f":{case['class']}")
    app = cli.create_app(config, tmp_path / "cache")
    with app.server.app_context():
        assert bd.render_instance(case["row"]) == {"text": f"cannot render: {case['expect']}"}
        assert bd.render_instance(0)["text"].startswith("cannot render: inspector: render_instance(0)")

# --- URL query strings ------------------------------------------------------------------------
URL_CASES = [tuple(part.strip() for part in line.split(" => ", 1))
             for line in (CORPUS / "urls.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def url_server(tmp_path_factory) -> Iterator[Renderer]:
    """The small experiment served by gunicorn (one worker: a crash would show as a failure)."""
    folder = tmp_path_factory.mktemp("urls")
    config = write_experiment(folder)
    with gunicorn_app(config, folder / "cache") as url:
        yield Renderer.for_url(url)


@pytest.mark.parametrize(("url", "expected"), URL_CASES, ids=[u for u, _ in URL_CASES])
def test_url_case_shows_notice_and_server_keeps_serving(url_server: Renderer, url: str, expected: str):
    page = url_server.open(url)
    assert page.status == 200 and "Traceback" not in page.body
    assert expected in page.text, page.text[:2000]
    for dep in url_server.initial_callbacks(page):  # what the browser fires next, with these values
        answer = url_server.call(page, dep)
        assert answer.status in (200, 204) and "Traceback" not in answer.body, (dep["output"], answer.body[:500])
    again = url_server.open("/?sel=a")  # the server still serves a normal request
    assert again.status == 200 and "1 Model Selected: a" in again.text



def test_path_traversal_through_gunicorn_is_refused(url_server: Renderer):
    """Raw request lines (no client-side normalisation of '..') to the real server."""
    import http.client

    host = url_server.base_url.removeprefix("http://")
    for path in ("/assets/../app.py", "/assets/%2e%2e/app.py", "/assets/..%2f..%2fapp.py",
                 "/_dash-component-suites/dash/../../../app.py", "/static/../app.py",
                 "/assets/../../../../etc/passwd", "/_dash-component-suites/dash/..%2f..%2fapp.py"):
        conn = http.client.HTTPConnection(host, timeout=30)
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        conn.close()
        assert "def create_app" not in body and "root:x:0:0" not in body, path
        assert response.status in (400, 404) or "_dash-config" in body, (path, response.status)
    assert url_server.open("/?sel=a").status == 200

# --- user regular expressions (the Layers page's module filter) ---------------------------------
REGEX_CASES = [tuple(part.strip() for part in line.split(" => ", 1))
               for line in (CORPUS / "regex.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
HOSTILE_NAMES = [f"features.{i}.conv" for i in range(50)] + ["a" * 5000 + "!", "x" * 100_000]


@pytest.mark.parametrize(("pattern", "expected"), REGEX_CASES, ids=[p for p, _ in REGEX_CASES])
def test_regex_case_is_refused_in_one_line(pattern: str, expected: str):
    from backend.infra.safe_regex import PatternError, compile_pattern, match_mask

    with pytest.raises(PatternError) as info:
        match_mask(compile_pattern(pattern), HOSTILE_NAMES)
    assert str(info.value) == expected


def test_overlong_regex_is_refused():
    from backend.infra.safe_regex import MAX_LENGTH, PatternError, compile_pattern

    with pytest.raises(PatternError, match=f"longer than {MAX_LENGTH} characters"):
        compile_pattern("a" * (MAX_LENGTH + 1))


def test_plugin_failure_reaches_the_behaviors_page_as_one_line(tmp_path: Path):
    """A forward pass that raises inside the Behaviors page's background job (its function, run
    here as the job process runs it): the status line names the model and the rows, and the app
    keeps serving."""
    from components.shared import ids
    config = write_experiment(tmp_path, inspector="tests.support.inspectors.failing:WrongInputWidth")
    app = cli.create_app(config, tmp_path / "cache")
    renderer = Renderer.for_flask(app.server)
    page = renderer.open("/behaviors?models=a,b&base=a")
    assert page.status == 200 and page.prop(ids.BH_LOAD, "n_clicks") == 0
    job = renderer.dependency(f"{ids.BH_STATUS}.children")
    body = renderer.payload(page, job, trigger=(ids.BH_LOAD, "n_clicks"), values={(ids.BH_LOAD, "n_clicks"): 1})
    status = run_job_inline(app, body)[f"{ids.BH_STATUS}.children"]
    assert status.startswith("model 'a': predict on rows 0-31 failed (RuntimeError: mat1 and mat2 shapes "
                             "cannot be multiplied"), status
    assert "\n" not in status
    assert renderer.open("/?sel=a").status == 200
