"""The per-process annotations store, the signed-in user, and the JSON endpoint ``/_cc/annotations``.

Why here: the store is runtime wiring (one engine per worker process, reopened after a fork,
retried a few seconds after the database was down), and the endpoint is a plain Flask route
under the app's server, so the app's authentication (server.auth) guards it like every page.
A database that cannot be used is one line (``AnnotationsUnavailable``) wherever annotations
are shown; the rest of the app keeps serving.

Endpoint (JSON bodies must be ``application/json``, so a cross-site form cannot post):
``GET /_cc/annotations?status=&model=`` lists, ``POST`` adds ``{model_id, status, note,
target?, instance_id?, scope?}`` as the signed-in user, ``PATCH``/``DELETE
/_cc/annotations/<id>`` edit and remove, ``GET /_cc/annotations.csv`` exports.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict

import flask

from server.auth import auth_settings
from server.log import log as _log

ANONYMOUS = "anonymous"
RETRY_S = 5.0  # after a failure, how long pages show the same line before trying again
PREFIX = "/_cc/annotations"

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


def _json(note) -> dict:
    out = asdict(note)
    out["created_at"], out["updated_at"] = note.created_at.isoformat(), note.updated_at.isoformat()
    return out


def _problem(message: str, status: int):
    return flask.jsonify({"error": message}), status


def _guarded(work):
    """Run a request's work: bad input 400, unknown note 404, database down 503, one line each."""
    from backend.annotations import AnnotationError, AnnotationsUnavailable

    try:
        return work()
    except (Unavailable, AnnotationsUnavailable) as exc:
        return _problem(str(exc), 503)
    except AnnotationError as exc:
        return _problem(str(exc), 404 if str(exc).endswith("no such annotation") else 400)


def _body() -> dict:
    from backend.annotations import AnnotationError

    if not flask.request.is_json:
        raise AnnotationError("annotations: send JSON (Content-Type: application/json)")
    body = flask.request.get_json(silent=True)
    if not isinstance(body, dict):
        raise AnnotationError("annotations: the body must be a JSON object")
    return body


def _known_model(model_id: object) -> None:
    from backend.annotations import AnnotationError
    from server.context import experiment

    if not isinstance(model_id, str) or model_id not in experiment().forest:
        raise AnnotationError(f"annotation model id: {str(model_id)[:100]!r} is not a model of this "
                              "experiment")


def list_annotations():
    """``GET``: the notes, optionally of one status and/or one model."""
    args = flask.request.args
    return _guarded(lambda: flask.jsonify([_json(a) for a in store().list(
        status=args.get("status") or None, model_id=args.get("model") or None)]))


def add_annotation():
    """``POST``: a new note by the signed-in user."""
    def work():
        body = _body()
        _known_model(body.get("model_id"))
        note = store().add(body.get("model_id"), body.get("status"), body.get("note", ""), current_user(),
                           target=body.get("target", "model"), instance_id=body.get("instance_id"),
                           scope=body.get("scope") or "global")
        return flask.jsonify(_json(note)), 201

    return _guarded(work)


def edit_annotation(annotation_id: int):
    """``PATCH``: a new status and/or text; ``DELETE``: remove."""
    from backend.annotations import AnnotationError

    def work():
        if flask.request.method == "DELETE":
            if not store().delete(annotation_id):
                raise AnnotationError(f"annotation {annotation_id}: no such annotation")
            return "", 204
        body = _body()
        return flask.jsonify(_json(store().update(annotation_id, status=body.get("status"),
                                                  note=body.get("note"))))

    return _guarded(work)


def export_csv():
    """``GET .csv``: the listed notes as a spreadsheet."""
    from backend.annotations import annotations_csv

    args = flask.request.args

    def work():
        text = annotations_csv(store().list(status=args.get("status") or None,
                                            model_id=args.get("model") or None))
        return flask.Response(text, mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="annotations.csv"'})

    return _guarded(work)


def install(server: flask.Flask) -> None:
    """Add the endpoint's routes; the database is opened on first use (and at start-up by create_app)."""
    server.add_url_rule(PREFIX, "cc_annotations_list", list_annotations, methods=["GET"])
    server.add_url_rule(PREFIX, "cc_annotations_add", add_annotation, methods=["POST"])
    server.add_url_rule(f"{PREFIX}/<int:annotation_id>", "cc_annotations_edit", edit_annotation,
                        methods=["PATCH", "DELETE"])
    server.add_url_rule(f"{PREFIX}.csv", "cc_annotations_csv", export_csv, methods=["GET"])


def open_at_start() -> None:
    """Create or migrate the schema at start-up; a failure is logged in one line and retried later."""
    try:
        store()
    except Unavailable:
        pass
