"""Where an MLflow import reads from: a tracking URI resolved to a store (SQLite file, other
database, folder store, tracking server), checked before MLflow could create it, and MLflow's
options for that store's calls.

Why apart from the importer: these rules are about the store, not runs (what a URI names, what
must already exist, what a password looks like in a message); the importer asks them first.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from backend.experiment.messages import describe, name

DATABASES = ("sqlite", "postgresql", "mysql", "mssql")
# os.environ is process-wide: options set for one store's calls are set and restored under it
_ENV_LOCK = threading.RLock()


class Problem(Exception):
    """One problem line; ends the import."""


@dataclass(frozen=True)
class Store:
    """A tracking URI resolved against the config's folder."""

    kind: str  # "sqlite" | "database" | "folder" | "server"
    uri: str  # what MLflow's client is given
    path: Path | None = None  # the SQLite file or the store's folder

    @property
    def shown(self) -> str:
        """The URI as messages show it: a password in it (user:secret@host) is hidden."""
        return name(redact(self.uri), 200)


def redact(text: str) -> str:
    """'scheme://user:secret@host' -> 'scheme://user:***@host', wherever it appears."""
    return re.sub(r"(//[^/@:\s]*):[^/@\s]*@", r"\1:***@", text)


def resolve_store(tracking_uri: str, here: Path) -> Store:
    """The store a tracking URI names; relative paths are relative to ``here`` (the config's folder)."""
    uri = tracking_uri.strip()
    scheme = uri.split(":", 1)[0].lower() if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", uri) else ""
    if scheme == "sqlite":
        rest = uri[len("sqlite:"):]
        if not rest.startswith("///") or not rest[3:].split("?", 1)[0]:
            raise Problem(f"sqlite URI {describe(uri)} names no file: write sqlite:///mlflow.db "
                           "(relative to the config) or sqlite:////absolute/path.db")
        db = Path(unquote(rest[3:].split("?", 1)[0]))
        db = db if db.is_absolute() else here / db
        return Store("sqlite", f"sqlite:///{db}", db)
    if scheme.split("+", 1)[0] in DATABASES:
        return Store("database", uri)
    if scheme in ("http", "https"):
        return Store("server", uri.rstrip("/"))
    if scheme == "file":
        folder = Path(url2pathname(urlparse(uri).path))
    elif scheme:
        raise Problem(f"scheme '{name(scheme)}' is not supported: give sqlite:///mlflow.db, a folder "
                       "store such as ./mlruns, http(s)://host:port or a database URI")
    else:
        folder = Path(uri)
        try:
            folder = folder.expanduser()
        except RuntimeError:  # '~nobody/...': no such home; taken as written
            pass
    folder = folder if folder.is_absolute() else here / folder
    return Store("folder", folder.as_uri(), folder)


def check_local(store: Store) -> None:
    """Refuse what MLflow would silently create: a missing SQLite file or store folder, or a file
    that is not an MLflow database (MLflow would write its tables into it)."""
    path = store.path
    assert path is not None
    if store.kind == "sqlite":
        if not os.path.isfile(path):  # os.path: False, not an OSError, for a name the system refuses
            raise Problem(f"SQLite file not found: {name(path, 1000)}")
        import sqlite3

        try:
            with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
                tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.Error as exc:
            raise Problem(f"{name(path, 1000)} is not a readable SQLite database ({exc})") from None
        if not {"experiments", "runs"} <= tables:
            raise Problem(f"{name(path, 1000)} is not an MLflow database (no experiments and runs tables)")
    elif store.kind == "folder":
        if not os.path.isdir(path):
            raise Problem(f"folder store not found: {name(path, 1000)}")
        try:
            children = [child for child in path.iterdir() if os.path.isdir(child)]
        except OSError as exc:
            raise Problem(f"cannot list {name(path, 1000)} ({exc.strerror or exc})") from None
        if not any(os.path.isfile(child / "meta.yaml") for child in children):
            raise Problem(f"{name(path, 1000)} is not an MLflow folder store (no experiment folder with "
                           "a meta.yaml)")


@contextmanager
def mlflow_env(store: Store, timeout: float) -> Iterator[None]:
    """MLflow's options for one store's calls: folder stores allowed; a server asked once (no
    retries, unless the environment sets them) with the config's timeout."""
    values: dict[str, str] = {}
    if store.kind == "folder":
        values["MLFLOW_ALLOW_FILE_STORE"] = "true"
    if store.kind == "server":
        values["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(max(1, math.ceil(timeout)))
        for key in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"):
            if key not in os.environ:
                values[key] = "0"
    with _ENV_LOCK:
        saved = {key: os.environ.get(key) for key in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def release(client: Any) -> None:
    """Close the database connections MLflow pooled (it caches the store per URI): a forked
    background job inherits no open SQLite handle, and the file is not held between reads."""
    store = getattr(getattr(client, "_tracking_client", None), "store", None)
    engine = getattr(store, "engine", None)
    if engine is not None and hasattr(engine, "dispose"):
        engine.dispose()


def reason(exc: BaseException) -> str:
    """The telling part of a client failure, short: 'Connection refused', 'Read timed out'..."""
    text = redact(" ".join(str(exc).split()))
    for pattern in (r"\[Errno -?\d+\] ([^'\")\]]+)", r"(Read timed out|Connection refused|timed out)",
                    r"(Name or service not known|nodename nor servname provided)"):
        if found := re.search(pattern, text):
            return found.group(1).strip()
    return text if len(text) <= 160 else text[:157] + "..."
