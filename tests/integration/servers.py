"""Start the real app under gunicorn on a free loopback port, for integration and browser tests."""

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
def gunicorn_app(config: Path, cache_dir: Path, workers: int = 1, timeout: float = 90.0) -> Iterator[str]:
    """Serve ``app:create_server()`` with CC_CONFIG; yield the base URL; always stop it."""
    port = free_port()
    env = {**os.environ, "CC_CONFIG": str(config), "CC_CACHE_DIR": str(cache_dir)}
    # The log goes to a file (a pipe nobody drains would block gunicorn once full), and the server
    # gets its own process group so that stopping it also stops forked background jobs.
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "app:create_server()", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", "2", "--timeout", "120"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"gunicorn exited with {proc.returncode}: {log.read()[-4000:]}")
            try:
                with urllib.request.urlopen(url + "/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer in time") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # jobs forked by the workers, if any are left
        log.close()
