"""Serve the app under gunicorn on a free loopback port, and stop all of it afterwards.

Why its own module: starting, waiting for and tearing down gunicorn (and the background-job
processes its workers fork) is process management, shared by the load test and by the
integration and browser tests (``tests/integration/servers.py``). Re-exported by
``tests.support.load``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port the OS says is free on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(config: Path, cache_dir: Path, workers: int = 2, threads: int = 4,
          env: dict[str, str] | None = None, log: Path | None = None,
          timeout: float = 120.0, target: str = "app:create_server()") -> Iterator[str]:
    """gunicorn ``target`` (the app) on a free loopback port; yield its URL; always stop it.

    Its output goes to ``log`` (default: a temporary file, named on stderr when done). The
    server gets its own process group, so stopping it also stops the jobs its workers forked.
    Raises RuntimeError when gunicorn exits or does not answer within ``timeout`` seconds.
    """
    port = free_port()
    full_env = {**os.environ, "CC_CONFIG": str(config), "CC_CACHE_DIR": str(cache_dir), **(env or {})}
    named = log is not None
    if log is None:
        fd, name = tempfile.mkstemp(prefix="cc-gunicorn-", suffix=".log")
        os.close(fd)
        log = Path(name)
    # a file, not a pipe: a pipe nobody drains would block gunicorn once full
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", target, "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--threads", str(threads), "--timeout", "120"],
            cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}: {log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(url + "/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s") from None
                time.sleep(0.3)
        yield url
    finally:
        _stop(proc)
        if not named:
            sys.stderr.write(f"gunicorn log: {log}\n")


def _stop(proc: subprocess.Popen) -> None:
    """Stop gunicorn, then its whole process group (background-job processes stuck in a worker
    would otherwise hold it for its graceful timeout, or outlive it)."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
