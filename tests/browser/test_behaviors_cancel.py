"""Cancelling a running predictions job on the demo: it stops, keeps nothing partial, and a new
Load completes.

A predictions job on the demo takes well under a second per model, too short to cancel at a
known moment, so this test serves the demo's models and data through
``tests.support.gated_demo.GatedDemoInspector``: the job computes ``cnn``, starts on
``cnn-gprune50`` and waits after its first batch while the gate file names it. The job is real
(forked by the web worker, the real engine and cache); only its timing is held.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import console_errors, screenshot, wait_for
from tests.support.servers import gunicorn_app

MODELS = ["cnn", "cnn-gprune50", "cnn-int8"]
HELD = "cnn-gprune50"  # the gate holds the job on this model's second batch
N = 540  # held-out digits: each model's share of the progress bar
EMPTY = "document.querySelector('#behaviors-empty')?.innerText || ''"
PROGRESS = "+document.querySelector('#behaviors-progress').value"
GRID_ROWS = "document.querySelectorAll('.bh-grid .ag-center-cols-container .ag-row').length"


@pytest.fixture(scope="module")
def gated(demo_cache: Path, tmp_path_factory) -> Iterator[tuple[str, object, Path]]:
    """(URL, engine on its cache, gate file): the built demo copied to a fresh cache, served
    with the gate; the engine (in this process) shows what the jobs left in the cache."""
    folder = tmp_path_factory.mktemp("gated-demo")
    cache = folder / "cache"
    shutil.copytree(demo_cache / "demo-digits-v3", cache / "demo-digits-v3")
    gate = folder / "gate"
    config = folder / "gated.yaml"
    config.write_text(
        "name: Digits demo (gated)\n"
        'models: "{cache_dir}/demo-digits-v3/models.yaml"\n'
        "inspector:\n"
        "  module: tests.support.gated_demo\n"
        "  class: GatedDemoInspector\n"
        "  device: cpu\n"
        "  batch_size: 64\n"
        f"  options: {{gate: {json.dumps(str(gate))}}}\n")
    with gunicorn_app(config, cache) as url:
        yield url, _engine(config, cache), gate


def _engine(config: Path, cache: Path):
    from backend.experiment.loader import load_experiment
    from backend.inference.engine import Engine
    from backend.inference.loading import make_inspector
    from backend.infra.cache import ResultCache

    exp = load_experiment(config, cache_dir=cache)
    return Engine(exp.forest, make_inspector(exp.inspector), ResultCache(exp.cache_dir / "results"))


def _buttons(driver) -> dict[str, bool]:
    return driver.execute_script("return {load: document.querySelector('#behaviors-load').disabled,"
                                 " cancel: document.querySelector('#behaviors-cancel').disabled};")


def test_cancel_stops_the_job_keeps_nothing_partial_and_a_new_load_completes(driver, gated):
    url, eng, gate = gated
    page = url + "/behaviors?models=" + ",".join(MODELS) + "&base=cnn"
    gate.write_text(HELD)
    driver.get(page)
    text = wait_for(driver, f"({EMPTY}).includes('not computed') && {EMPTY}", what="the not-computed state")
    assert ", ".join(MODELS) in text  # every model named: nothing is cached yet

    # Load: the job computes cnn, then is held inside cnn-gprune50 (its first batch done)
    driver.find_element("id", "behaviors-load").click()
    try:
        wait_for(driver, f"{PROGRESS} > {N}", timeout=120, what="the job inside the second model")
    finally:
        screenshot(driver, "behaviors-cancel-running.png")
    assert _buttons(driver) == {"load": True, "cancel": False}  # running: only Cancel is live
    assert driver.find_element("id", "behaviors-status").text.startswith("Computing predictions")
    assert float(driver.execute_script("return document.querySelector('#behaviors-progress').max")) == 3 * N

    driver.find_element("id", "behaviors-cancel").click()
    wait_for(driver, "!document.querySelector('#behaviors-load').disabled", what="Load enabled again")
    assert _buttons(driver) == {"load": False, "cancel": True}
    status = driver.find_element("id", "behaviors-status").text
    assert status.startswith("Cancelled") and "nothing partial" in status, status
    assert N < driver.execute_script(f"return {PROGRESS}") < 3 * N  # the bar stays where it stopped
    wait_for(driver, f"({EMPTY}).includes('Predictions of {HELD}, cnn-int8 are not computed')",
             what="the empty state without the model finished before the cancel")
    screenshot(driver, "behaviors-cancelled.png")

    # The job is gone: with the gate open, a live job would finish cnn-gprune50 at once.
    gate.unlink()
    time.sleep(3)
    assert eng.is_cached("predictions", "cnn")  # finished before the cancel: complete, kept
    assert eng.cache.get_arrays(eng.key("predictions", "cnn"))["probs"].shape == (N, 10)
    assert not eng.is_cached("predictions", HELD) and not eng.is_cached("predictions", "cnn-int8")

    # A reload says what is not computed (nothing partial shows), and names no finished model.
    driver.get(page)
    text = wait_for(driver, f"({EMPTY}).includes('not computed') && {EMPTY}", what="not computed after reload")
    assert f"Predictions of {HELD}, cnn-int8 are not computed yet." in text, text
    assert driver.find_element("id", "behaviors-status").text == ""  # the reload started no job

    # A new Load completes and shows the rows.
    driver.find_element("id", "behaviors-load").click()
    wait_for(driver, "document.querySelector('#behaviors-status').innerText.includes('Predictions ready')",
             timeout=180, what="the second job's status")
    wait_for(driver, GRID_ROWS, what="rows after the second load")
    assert all(eng.is_cached("predictions", m) for m in MODELS)
    assert console_errors(driver) == []
