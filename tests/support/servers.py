"""Start the real app under gunicorn on a free loopback port, for integration and browser tests.

The launcher itself is ``tests.support.gunicorn.serve`` (the load test uses the same one).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.gunicorn import REPO, free_port, serve

__all__ = ["REPO", "free_port", "gunicorn_app"]


@contextmanager
def gunicorn_app(config: Path, cache_dir: Path, workers: int = 1, timeout: float = 90.0) -> Iterator[str]:
    """Serve ``app:create_server()`` with CC_CONFIG (2 threads per worker); yield the base URL;
    always stop it, and the background jobs its workers forked."""
    with tempfile.TemporaryDirectory(prefix="cc-test-gunicorn-") as folder:
        with serve(config, cache_dir, workers=workers, threads=2, log=Path(folder) / "gunicorn.log",
                   timeout=timeout) as url:
            yield url
