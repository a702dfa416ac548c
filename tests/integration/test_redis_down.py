"""Redis down under ``background: {manager: celery}``: one clear line, the overview still serves,
and the documented fallback (``manager: diskcache``) runs the same job locally."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import httpx
import pytest

from tests.integration.test_celery import (
    DashClient,
    celery_worker,
    load_predictions,
    redis_server,
    status_text,
    tiny_experiment,
    wait_until_ready,
)
from tests.support.servers import free_port, gunicorn_app


def _dead_broker(tmp_path: Path) -> tuple[Path, str]:
    port = free_port()  # nothing listens there
    broker = f"redis://127.0.0.1:{port}/0"
    background = f"{{manager: celery, broker_url: '{broker}', result_backend: 'redis://127.0.0.1:{port}/1'}}"
    return tiny_experiment(tmp_path, background, tmp_path / "loads.txt"), broker


def _client(app) -> DashClient:
    return DashClient("http://cc.test", transport=httpx.WSGITransport(app=app.server))


def test_start_logs_one_line_and_the_job_answers_with_it(tmp_path: Path, capsys):
    from app import create_app

    config, broker = _dead_broker(tmp_path)
    app = create_app(config, tmp_path / "cache")  # starts: the overview needs no Redis
    err = capsys.readouterr().err
    start = [line for line in err.splitlines() if broker in line]
    assert len(start) == 1, err
    assert start[0].startswith("warning: background jobs unavailable: cannot reach the Celery broker")
    assert "manager: diskcache" in start[0]

    client = _client(app)
    overview = json.dumps(client.layout("/", ""))
    assert all(f'"{m}"' in overview for m in ("base", "child", "other"))
    answer = client.background_callback(client.layout("/behaviors", "?models=base,child&base=base"),
                                        "behaviors-load")
    status = status_text(answer)
    assert broker in status and "manager: diskcache" in status, answer
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if broker in line] == [f"error: {json.loads(status)['behaviors-status']['children']}"]
    assert not (tmp_path / "loads.txt").exists()  # nothing was computed anywhere


def test_password_in_broker_url_is_masked(tmp_path: Path, capsys):
    from app import create_app

    port = free_port()
    background = f"{{manager: celery, broker_url: 'redis://:hunter2@127.0.0.1:{port}/0', " \
                 f"result_backend: 'redis://:hunter2@127.0.0.1:{port}/1'}}"
    create_app(tiny_experiment(tmp_path, background, tmp_path / "loads.txt"), tmp_path / "cache")
    err = capsys.readouterr().err
    assert f"redis://:**@127.0.0.1:{port}/0" in err and "hunter2" not in err


@pytest.mark.slow
def test_gunicorn_serves_while_redis_is_down_and_jobs_run_once_it_is_back(tmp_path: Path):
    config, broker = _dead_broker(tmp_path)
    port = int(broker.split(":")[2].split("/")[0])
    cache = tmp_path / "cache"
    with gunicorn_app(config, cache, workers=2) as url:
        with urllib.request.urlopen(url + "/", timeout=30) as r:
            assert r.status == 200 and b"_dash-config" in r.read()
        client = DashClient(url)
        assert '"child"' in json.dumps(client.layout("/", ""))
        client.close()
        # Redis comes back and a worker starts: no web restart needed
        log = tmp_path / "worker.log"
        with redis_server(tmp_path, port), celery_worker(config, cache, log) as worker:
            wait_until_ready(worker, log)
            answer = load_predictions(url, ["base", "child"])
    assert "Predictions ready" in status_text(answer), answer
    assert {line.split()[0] for line in (tmp_path / "loads.txt").read_text().splitlines()} == {str(worker.pid)}


def test_web_processes_share_the_job_signing_secret(tmp_path: Path):
    from app import create_app

    config, _ = _dead_broker(tmp_path)
    first = create_app(config, tmp_path / "cache").server.secret_key
    second = create_app(config, tmp_path / "cache").server.secret_key
    assert first and first == second  # another gunicorn worker verifies this one's job handles
    assert (tmp_path / "cache" / "signing-secret").stat().st_mode & 0o077 == 0


def _fallback_job(folder: str) -> str:
    """The fallback's job, started from a fresh interpreter (see the test)."""
    from app import create_app

    tmp_path = Path(folder)
    config = tiny_experiment(tmp_path, "{manager: diskcache}", tmp_path / "loads.txt")
    client = _client(create_app(config, tmp_path / "cache"))
    answer = client.background_callback(client.layout("/behaviors", "?models=base,child&base=base"),
                                        "behaviors-load")
    return status_text(answer)


def test_fallback_diskcache_runs_the_job_locally(tmp_path: Path):
    """The diskcache manager forks the job from the web process. The test process has used
    torch's OpenMP thread pool in earlier tests (a forked child then waits forever at its first
    parallel barrier), while a web process never does: so the web side runs in a fresh, spawned
    interpreter, as gunicorn's worker would be."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        status = pool.apply(_fallback_job, (str(tmp_path),))
    assert "Predictions ready" in status, status
    pid_file = tmp_path / "loads.txt"
    assert sorted(line.split()[1] for line in pid_file.read_text().splitlines()) == ["base", "child"]


def test_redis_dying_while_a_job_waits_gives_the_same_line(tmp_path: Path, capsys):
    from app import create_app

    with redis_server(tmp_path) as redis:
        background = f"{{manager: celery, broker_url: '{redis}/0', result_backend: '{redis}/1'}}"
        app = create_app(tiny_experiment(tmp_path, background, tmp_path / "loads.txt"), tmp_path / "cache")
        assert "unavailable" not in capsys.readouterr().err  # Redis answers: no warning at start
        client = _client(app)
        layout = client.layout("/behaviors", "?models=base,child&base=base")
        first = client.start_background(layout, "behaviors-load")  # queued; no worker runs it
        assert "cacheKey" in first
    answer = client.poll_background(first)  # Redis is gone now
    status = status_text(answer)
    assert f"{redis}/0" in status and "manager: diskcache" in status, answer
    assert "Traceback" not in capsys.readouterr().err
