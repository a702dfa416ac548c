"""A throw-away PostgreSQL cluster for tests: initdb in a temporary folder, a free loopback port.

Why its own module: the annotations store runs its tests on SQLite and on PostgreSQL, and the
concurrent-write test serves the app against it. PostgreSQL refuses to run as root, so as root
the cluster is made and run by ``nobody`` (``runuser``), in a folder it owns. Where no server
can be started the caller skips with the one line ``PostgresUnavailable`` carries (and fails
under CI, where it must run).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.gunicorn import free_port

SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started here (binaries missing, initdb or start failed)."""


def _bindir() -> Path:
    for candidate in (os.environ.get("CC_PG_BINDIR"), "/usr/local/bin",
                      *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)):
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise PostgresUnavailable("PostgreSQL not found: no initdb/pg_ctl (set CC_PG_BINDIR)")


def _as_owner(argv: list[str]) -> list[str]:
    """Run as ``nobody`` when we are root (postgres refuses root)."""
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("running as root and runuser is missing: cannot start PostgreSQL as nobody")
    return [runuser, "-u", "nobody", "--", *argv]


def _run(argv: list[str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        raise PostgresUnavailable(f"PostgreSQL {what} failed: {tail[-1] if tail else proc.returncode}")


class Cluster:
    """A running throw-away cluster; ``database()`` makes a fresh database and returns its URL."""

    def __init__(self, bindir: Path, folder: Path, port: int) -> None:
        self.bindir, self.folder, self.port = bindir, folder, port

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database of this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new empty database (one per test, so tests never see each other's notes)."""
        import psycopg

        name = "cc_" + uuid.uuid4().hex[:12]
        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """Start a cluster (trust auth, loopback only, no fsync), yield it, always stop and remove it."""
    bindir = _bindir()
    folder = Path(tempfile.mkdtemp(prefix="cc-pg-"))
    data, log = folder / "data", folder / "server.log"
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, "nobody")
        os.chmod(folder, 0o700)
        _run(_as_owner([str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust",
                        "-E", "UTF8", "--no-sync"]), "initdb")
        port = free_port()
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        _run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
                        "-t", "60", "start"]), "start")
    except (OSError, subprocess.TimeoutExpired, LookupError, PostgresUnavailable) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, PostgresUnavailable):
            raise
        raise PostgresUnavailable(f"PostgreSQL could not start: {exc}") from None
    try:
        yield Cluster(bindir, folder, port)
    finally:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                                      "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
