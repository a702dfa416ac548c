"""Faults: a computation killed half-way, a restart, a cache directory that cannot be written.

The computations run where the app runs them: the Behaviors page's background job (a process
forked by a gunicorn worker under DiskcacheManager), reached over HTTP the way the browser's
renderer reaches it (tests/support/renderer.py).
"""

from __future__ import annotations

import errno
import os
import signal
import time
from pathlib import Path

import pytest

import app as cli
from backend.infra.cache import ResultCache
from components.shared import ids
from tests.support.bad_experiment import write_experiment
from tests.support.renderer import Job, Renderer, run_job_inline
from tests.support.servers import gunicorn_app

URL = "/behaviors?models=a,b&base=a"
CLICK = {(ids.BH_LOAD, "n_clicks"): 1}


def _load_predictions(renderer: Renderer):
    """The page and the body of a click on 'Load predictions' (the background callback)."""
    page = renderer.open(URL)
    assert page.status == 200, page.body[:300]
    dep = renderer.dependency(f"{ids.BH_STATUS}.children")
    return page, dep, renderer.payload(page, dep, trigger=(ids.BH_LOAD, "n_clicks"), values=CLICK)


def _status(answer) -> str:
    assert answer.status == 200 and "Traceback" not in answer.body, answer.body[:500]
    return answer.outputs[ids.BH_STATUS]["children"]


def _wait_for_file(path: Path, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)
    return path.read_text().strip()


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _finished_entries(cache: Path) -> list[str]:
    arrays = cache / "results" / "arrays"
    return sorted(p.name for p in arrays.iterdir() if not p.name.startswith(".tmp-")) if arrays.is_dir() else []


def test_killed_computation_leaves_nothing_and_a_restart_recomputes_nothing(tmp_path: Path):
    hold, pid_file, loads = tmp_path / "hold", tmp_path / "job.pid", tmp_path / "loads.log"
    config = write_experiment(tmp_path / "exp", inspector="tests.support.inspectors.slow:HoldingInspector",
                              options={"hold": str(hold), "pid_file": str(pid_file), "loads": str(loads)})
    cache = tmp_path / "cache"
    with gunicorn_app(config, cache, workers=2) as url:
        renderer = Renderer.for_url(url)
        _, _, body = _load_predictions(renderer)
        hold.touch()
        job = renderer.start(body)
        assert isinstance(job, Job), job
        job_pid = int(_wait_for_file(pid_file))  # the job has predicted one batch and waits
        worker_pid = _parent(job_pid)
        os.kill(job_pid, signal.SIGKILL)  # the process computing predictions...
        os.kill(worker_pid, signal.SIGKILL)  # ...and the gunicorn worker that started it
        hold.unlink()
        answer = renderer.poll(job, timeout=60)  # the renderer's poll ends: no result, no traceback
        assert answer.status in (200, 204) and "Traceback" not in answer.body
        assert _finished_entries(cache) == []  # no partial cache entry
        assert ResultCache(cache / "results").sweep_temporaries() == 0

        renderer = Renderer.for_url(url)  # a new page load (any worker) succeeds
        _, _, body = _load_predictions(renderer)
        status = _status(renderer.poll(renderer.start(body)))
        assert status.startswith("Predictions ready"), status
        computed = loads.read_text().splitlines()
        cached = _finished_entries(cache)
        assert len(cached) >= 2 and {line.split()[0] for line in computed} >= {"a", "b"}

    with gunicorn_app(config, cache) as url:  # a restart on the same cache
        renderer = Renderer.for_url(url)
        _, _, body = _load_predictions(renderer)
        status = _status(renderer.poll(renderer.start(body)))
        assert status.startswith("Predictions ready"), status
    assert loads.read_text().splitlines() == computed  # no model was loaded again
    assert _finished_entries(cache) == cached


def _unusable(tmp_path: Path, how: str, monkeypatch) -> tuple[Path, str]:
    """A cache directory that cannot be written, and the reason the app must name."""
    if how == "not-a-directory":
        blocker = tmp_path / "cache-file"
        blocker.write_text("a file where the cache directory should be")
        return blocker / "cache", "Not a directory"
    if how == "read-only":
        cache = tmp_path / "ro-cache"
        if os.geteuid() != 0:
            cache.mkdir()
            cache.chmod(0o555)
            return cache, "Permission denied"
        # root ignores permission bits: make the folder's file system read-only instead
        real_mkdir = os.mkdir

        def read_only(path, *args, **kwargs):
            if str(path).startswith(str(cache)):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            return real_mkdir(path, *args, **kwargs)

        monkeypatch.setattr(os, "mkdir", read_only)
        return cache, os.strerror(errno.EROFS)
    # full: the disk fills while a result is written (the index and folders are fine)
    import backend.infra.cache

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(backend.infra.cache.np, "save", full)
    return tmp_path / "cache", os.strerror(errno.ENOSPC)


@pytest.mark.parametrize("how", ["not-a-directory", "read-only", "disk-full"])
def test_unusable_cache_dir_gives_one_line_and_the_overview_still_works(tmp_path: Path, monkeypatch, capsys,
                                                                        how: str):
    cache, reason = _unusable(tmp_path, how, monkeypatch)
    config = write_experiment(tmp_path / "exp")
    app = cli.create_app(config, cache)
    renderer = Renderer.for_flask(app.server)
    overview = renderer.open("/?sel=a")
    assert overview.status == 200 and "1 Model Selected: a" in overview.text
    for dep in renderer.initial_callbacks(overview):
        assert renderer.call(overview, dep).status in (200, 204)
    page, _, body = _load_predictions(renderer)
    shown = " ".join(page.by_class("cc-error"))
    if not shown:  # the page opened; the computation (its job, run here) reports the problem
        shown = run_job_inline(app, body)[f"{ids.BH_STATUS}.children"]
    assert str(cache) in shown and reason in shown and "\n" not in shown, shown
    assert renderer.open("/?sel=b").status == 200  # and keeps serving
    if how != "disk-full":
        assert f"warning: cache directory {cache} is not usable" in capsys.readouterr().err


def test_two_workers_writing_the_same_result_at_once(tmp_path: Path, monkeypatch):
    """Two users ask for the same predictions on two workers: the second writer finds the first
    one's folder already in place. Both succeed and the entry reads back (no 'Directory not empty')."""
    import numpy as np

    import backend.infra.cache

    arrays = {"probs": np.full((4, 3), 0.25)}
    real_replace = os.replace

    def other_worker_wins(src, dst):  # the other worker renames its complete folder just before us
        if not Path(dst).exists():
            theirs = tmp_path / "theirs"
            theirs.mkdir()
            np.save(theirs / "0.npy", arrays["probs"])
            real_replace(theirs, dst)
        return real_replace(src, dst)

    monkeypatch.setattr(backend.infra.cache.os, "replace", other_worker_wins)
    cache = ResultCache(tmp_path / "cache")
    cache.put_arrays("k", arrays)
    assert np.array_equal(cache.get_arrays("k")["probs"], arrays["probs"])
    assert not [p for p in (tmp_path / "cache" / "arrays").iterdir() if p.name.startswith(".tmp-")]


def test_gunicorn_stops_on_a_bad_config_instead_of_respawning(tmp_path: Path):
    """A bad config under gunicorn: each worker logs the one-line error and exits with gunicorn's
    APP_LOAD_ERROR, so the master stops (exit 4) rather than respawning workers forever."""
    from tests.support.gunicorn import serve

    config = tmp_path / "experiments.yaml"
    config.write_text("name: broken\nmodels: missing.yaml\n")
    log = tmp_path / "gunicorn.log"
    # One worker: with several failing at the same instant, gunicorn 27 itself can trip over its
    # own halt (a HaltServer traceback, exit 1); it still stops, but the exit code is then not 4.
    with pytest.raises(RuntimeError, match="gunicorn exited with 4"):
        with serve(config, tmp_path / "cache", workers=1, log=log, timeout=300):
            pass
    text = log.read_text()
    assert f"{config}: models: file not found: {tmp_path / 'missing.yaml'}" in text
    assert "App failed to load" in text
    assert text.count("Booting worker") == 1  # no respawn loop
    assert "Traceback" not in text
