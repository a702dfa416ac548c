"""The per-process annotations store and the signed-in user (the HTTP endpoint: server.annotations_api).

Why here: the store is runtime wiring (one engine per worker process, reopened after a fork,
retried a few seconds after the database was down). A database that cannot be used is one line
(``Unavailable`` / ``AnnotationsUnavailable``) wherever annotations are shown; the rest of the
app keeps serving.
"""

from __future__ import annotations

import os
import threading
import time

import flask

from server.auth import auth_settings
from server.log import log as _log

ANONYMOUS = "anonymous"
RETRY_S = 5.0  # after a failure, how long pages show the same line before trying again

_lock = threading.Lock()
_state: dict = {}  # {"key": (pid, url), "store": AnnotationStore | None, "problem": str, "at": float}


class Unavailable(Exception):
    """Raised to the pages when annotations cannot be used; ``str`` is the line to show."""


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the notes cannot be used now (its text is the line to show)."""
    if isinstance(exc, Unavailable):
        return True
    try:
        from backend.annotations import AnnotationsUnavailable
    except ImportError:
        return False
    return isinstance(exc, AnnotationsUnavailable)


def _open(url: str, statuses: tuple[str, ...]):
    from backend.annotations import AnnotationsUnavailable, open_store

    try:
        return open_store(url, statuses)
    except AnnotationsUnavailable as exc:
        raise Unavailable(str(exc)) from None


def store():
    """This process's store for the current experiment; ``Unavailable`` (one line) if it cannot open."""
    from server.context import experiment

    try:
        current = experiment()
    except RuntimeError as exc:  # builders used without an app (tests, tools): no notes to show
        raise Unavailable(f"annotations: {exc}") from None
    spec = current.annotations
    try:
        from backend.annotations import database_url
    except ImportError:
        raise Unavailable("annotations need SQLAlchemy and Alembic: pip install -e '.[team]'") from None
    url = database_url(spec.url, current.cache_dir)
    key = (os.getpid(), url, tuple(spec.statuses))
    with _lock:
        if _state.get("key") == key:
            if _state.get("store") is not None:
                return _state["store"]
            if time.monotonic() - _state["at"] < RETRY_S:
                raise Unavailable(_state["problem"])
        if _state.get("key") not in (None, key) and _state.get("store") is not None:
            _state["store"].close()  # another experiment or database: release the old engine
        try:
            opened = _open(url, tuple(spec.statuses))
        except Unavailable as exc:
            if _state.get("problem") != str(exc):
                _log(f"warning: {exc}")
            _state.update(key=key, store=None, problem=str(exc), at=time.monotonic())
            raise
        _state.update(key=key, store=opened, problem="", at=time.monotonic())
        return opened



def _forget_after_fork() -> None:
    """A forked background job must not close its parent's database connections."""
    opened = _state.get("store")
    if opened is not None:
        opened.engine.dispose(close=False)
    _state.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def current_user() -> str:
    """Who is signed in: the basic-auth user, the proxy's header, or ``anonymous`` without auth."""
    try:
        settings = auth_settings()
    except ValueError:
        settings = None
    if not flask.has_request_context() or settings is None:
        return ANONYMOUS
    mode, value = settings
    if mode == "basic":
        credentials = flask.request.authorization
        return (credentials.username if credentials and credentials.username else ANONYMOUS)[:256]
    return (flask.request.headers.get(value, "").strip() or ANONYMOUS)[:256]


def open_at_start() -> None:
    """Create or migrate the schema at start-up; a failure is logged in one line and retried later."""
    try:
        store()
    except Unavailable:
        pass
