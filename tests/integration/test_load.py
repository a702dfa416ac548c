"""The load script, short: 5 simulated users x 5 s on the demo under gunicorn with 2 workers.

Asserts no errors and no response carrying another user's state; latency is reported by
``python -m tests.support.load`` (50 users x 60 s), never asserted here. The checker itself is
tested on made-up responses, so a leak would be seen.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.integration.test_celery import celery_worker, redis_server, wait_until_ready
from tests.support import load

SELECTIONS = [["cnn", "cnn-int8", "cnn-gprune50"], ["cnn", "cnn-int8", "cnn-gprune90"]]


def _run(selections: list[list[str]]) -> load.Run:
    return load.Run("http://unused", {}, selections, time.monotonic() + 60, 0, 5, load.Stats())


def test_payload_file_covers_the_pages_and_holds_no_machine_paths():
    text = load.PAYLOADS.read_text()
    doc = json.loads(text)
    assert {"overview", "behaviors"} <= set(doc["pages"])
    assert len(doc["models"]) >= 10
    assert "/tmp/" not in text and "/home/" not in text and "/root/" not in text
    # each page's layout echoes the user's state (the runner fetches it as the browser does);
    # recorded steps echo it too
    assert any(step.get("echo") for page in doc["pages"].values() for step in page["steps"])
    for page in doc["pages"].values():
        assert page["path"] and page["steps"]
        for step in page["steps"]:
            assert step["status"] in (200, 204) and step["body"]["output"]


def test_fill_puts_each_users_selection_everywhere():
    doc = json.loads(load.PAYLOADS.read_text())
    body = json.dumps([load.fill(s["body"], SELECTIONS[0]) for p in doc["pages"].values() for s in p["steps"]])
    for placeholder in ("$SEL", "$BASE", "$M0", "$M2", "{sel}", "{sel_q}", "{base_q}"):
        assert placeholder not in body
    assert "cnn-gprune50" in body and doc["captured_selection"][2] not in body


def test_leak_and_missing_state_are_counted():
    run = _run(SELECTIONS)
    step = {"name": "app-url.search", "echo": True}
    load._check_state(run, 0, step, json.dumps({"response": {"app-url": {"search": "?sel=cnn%2Ccnn-int8%2Ccnn-gprune50"}}}))
    assert (run.stats.leaks, run.stats.echoes, sum(run.stats.errors.values())) == (0, 1, 0)
    # user 0 receives user 1's selection: a leak, and its own state is missing
    load._check_state(run, 0, step, json.dumps({"response": {"app-url": {"search": "?sel=cnn%2Ccnn-int8%2Ccnn-gprune90"}}}))
    assert run.stats.leaks == 1 and run.stats.errors["missing own state"] == 1
    load._check_state(run, 1, {"name": "store"}, json.dumps({"x": {"models": ["cnn-gprune50", "cnn", "cnn-int8"]}}))
    assert run.stats.leaks == 2


def test_user_selections_are_distinct():
    picks = load.user_selections([f"m{i}" for i in range(8)], 50)
    assert len({frozenset(p) for p in picks}) == 50 and all(len(p) == 3 for p in picks)


@pytest.mark.slow
def test_short_load_run_has_no_errors_and_no_cross_user_state(demo_cache: Path, tmp_path: Path):
    """The team stack when Redis is available (always in CI): gunicorn, Celery worker, Redis.

    Without redis-server outside CI it runs the default DiskcacheManager instead.
    """
    config = REPO / "configs" / "demo.yaml"
    with ExitStack() as stack:
        worker = None
        if shutil.which("redis-server") or os.environ.get("CI"):
            redis = stack.enter_context(redis_server(tmp_path))
            team = tmp_path / "demo-celery.yaml"
            team.write_text(config.read_text() + f"background: {{manager: celery, broker_url: '{redis}/0', "
                                                 f"result_backend: '{redis}/1'}}\n")
            config, log = team, tmp_path / "worker.log"
            worker = stack.enter_context(celery_worker(config, demo_cache, log))
        url = stack.enter_context(load.serve(config, demo_cache, workers=2, threads=2,
                                             log=tmp_path / "gunicorn.log"))
        if worker is not None:
            wait_until_ready(worker, log)
        summary = asyncio.run(load.run_load(url, users=5, duration=5, think=0.2, ramp=1))
    hint = " (re-record tests/support/load/recorded/demo.json if a page's callbacks changed)"
    assert summary["errors"] == 0, summary["error_examples"] + [hint]
    assert summary["leaks"] == 0, summary["leak_examples"]
    assert summary["requests"] > 10 and summary["own_state_echoes"] > 0
    assert set(summary["by_page"]) == set(json.loads(load.PAYLOADS.read_text())["pages"])  # all visited
