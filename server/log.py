"""One line on stderr, flushed: how the server, the CLI and the deploy wiring report problems."""

from __future__ import annotations

import sys


def log(message: str) -> None:
    """Write one line to stderr now (gunicorn and the CLI both show stderr)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
