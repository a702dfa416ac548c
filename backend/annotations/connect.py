"""Which database holds the annotations, and an engine for it that fails in one line.

The URL in effect: ``CC_ANNOTATIONS_URL`` > the config's ``annotations.url`` > a SQLite file in
the cache directory, so a laptop needs no setup and a team points every worker at PostgreSQL.
SQLite runs in WAL mode with a busy timeout and takes its write lock when a write transaction
begins (``BEGIN IMMEDIATE``), so concurrent gunicorn workers wait for each other instead of
failing with "database is locked".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

ENV_URL = "CC_ANNOTATIONS_URL"
SQLITE_FILE = "annotations.sqlite"
WRITE = "cc_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)
BUSY_TIMEOUT_S = 30
CONNECT_TIMEOUT_S = 5


class AnnotationsUnavailable(RuntimeError):
    """The annotations database cannot be used (bad URL, no driver, down): one line, no password."""


def database_url(config_url: str | None, cache_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    """The URL in effect: the environment, then the config, then ``cache_dir/annotations.sqlite``."""
    env = os.environ if environ is None else environ
    chosen = (env.get(ENV_URL) or "").strip() or (config_url or "").strip()
    return chosen or f"sqlite:///{Path(cache_dir).resolve() / SQLITE_FILE}"


def describe_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return "(not a database URL)"


def one_line(exc: BaseException) -> str:
    """The first line of a driver's message (they can span many lines with hints)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0].strip() if text else type(orig).__name__


def make_engine(url: str) -> Engine:
    """An engine for ``url``; AnnotationsUnavailable for a bad URL or a missing driver.

    Creating an engine does not connect: an unreachable server is found by the first use.
    """
    from sqlalchemy import create_engine

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise AnnotationsUnavailable(f"annotations: {describe_url(url)} is not a database URL "
                                     f"({one_line(exc)})") from None
    shown = describe_url(parsed)
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise AnnotationsUnavailable(f"annotations: {shown}: use sqlite:///PATH or "
                                     "postgresql+psycopg://USER@HOST/DB")
    kwargs: dict = {"pool_pre_ping": True}
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise AnnotationsUnavailable(f"annotations: cannot create the folder of {database} "
                                             f"({exc.strerror or exc})") from None
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
    else:
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise AnnotationsUnavailable(f"annotations: {shown}: database driver not installed "
                                     f"({one_line(exc)}); for PostgreSQL: pip install -e '.[team]'") from None
    except (ArgumentError, TypeError, ValueError) as exc:
        raise AnnotationsUnavailable(f"annotations: {shown}: {one_line(exc)}") from None
    if backend == "sqlite":
        _sqlite_setup(engine)
    return engine


def _sqlite_setup(engine: Engine) -> None:
    """WAL, a busy timeout, and BEGIN IMMEDIATE for write transactions (module docstring)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event emits BEGIN itself
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
