"""Team deployment wiring: Celery background jobs through Redis, and optional authentication.

``app.create_app`` calls into this module; nothing here runs for a plain ``python app.py``
unless the config asks for Celery (``background: {manager: celery}``) or an ``CC_AUTH_*``
variable is set.

Celery
    ``make_celery`` builds the Celery app that Dash's ``CeleryManager`` queues background
    callbacks on, configured to fail within about a second when Redis is down (instead of the
    default 20 s of retries inside a web request). ``celery_problem`` checks the broker and the
    result store at start-up; the app still starts (the overview needs neither) and logs one
    line naming the URL. A background callback started while Redis is down answers one line in
    the job's status (``job_error_handler``). ``worker.py`` is the worker's entry point.

Authentication (environment, so that one experiments.yaml serves a laptop and a team deploy)
    ``CC_AUTH_USERS_FILE=/etc/cc/users``: HTTP basic auth; one ``user:password`` per line, the
    password in clear or as a werkzeug hash (``scrypt:...`` / ``pbkdf2:...``).
    ``CC_AUTH_PROXY_HEADER=X-Forwarded-User``: trust a reverse proxy that authenticates users and
    sets this header; a request without it is refused (403). Only one of the two may be set.
    Passwords are never logged; errors name the file and the line number only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
from pathlib import Path
from typing import Any

USERS_FILE_ENV = "CC_AUTH_USERS_FILE"
PROXY_HEADER_ENV = "CC_AUTH_PROXY_HEADER"
FALLBACK_HINT = "start Redis, or set 'background: {manager: diskcache}' in the config to run jobs locally"
_HASH_PREFIXES = ("scrypt:", "pbkdf2:")


def _log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


# --- Celery -------------------------------------------------------------------------------------


def safe_url(url: str) -> str:
    """A broker URL with any password masked, fit for logs and messages."""
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(url)


def make_celery(spec: Any):
    """The Celery app of a ``BackgroundSpec``: JSON tasks, fast failure when Redis is down."""
    from celery import Celery

    celery = Celery("compress_and_compare", broker=spec.broker_url, backend=spec.result_backend)
    fast = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
    celery.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        broker_connection_timeout=3,
        broker_connection_retry_on_startup=True,  # a worker started before Redis waits for it
        redis_socket_connect_timeout=3,
        task_publish_retry_policy=fast,
        result_backend_transport_options={"retry_policy": fast},
        worker_prefetch_multiplier=1,  # one long job per worker process at a time
        task_track_started=True,
    )
    return celery


def celery_problem(celery) -> str | None:
    """One line naming the unreachable broker or result store, or None when both answer."""
    conf = celery.conf
    try:
        with celery.connection_for_write(connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=3)
    except Exception as exc:  # kombu raises OperationalError, socket errors, ...
        return broker_message(conf.broker_url, exc)
    try:
        client = getattr(celery.backend, "client", None)
        if client is not None:
            client.ping()
    except Exception as exc:
        return broker_message(conf.result_backend, exc, what="Celery result store")
    return None


def broker_message(url: str, exc: BaseException | None = None, what: str = "Celery broker") -> str:
    """``background jobs unavailable: cannot reach the Celery broker redis://...: ...``."""
    cause = ""
    while exc is not None and exc.__cause__ is not None and isinstance(exc, RuntimeError):
        exc = exc.__cause__  # celery's "retry limit exceeded" wraps the real connection error
    if exc is not None:
        text = " ".join(str(exc).split()) or type(exc).__name__
        cause = f" ({text[:160]})"
    return f"background jobs unavailable: cannot reach the {what} {safe_url(url)}{cause}; {FALLBACK_HINT}"


def shared_secret(directory: Path) -> str:
    """A random secret kept in ``directory/signing-secret`` (mode 0600), the same for every process
    that shares the cache directory.

    Dash signs background-job handles with the server's ``secret_key`` when one is set, and
    otherwise with a secret it keeps in Redis, falling back to a per-process one when Redis is
    down at start-up. That fallback would make gunicorn workers reject each other's job handles
    once Redis is back, so under Celery the web processes use this file instead.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "signing-secret"
    if not path.exists():
        tmp = directory / f".signing-secret.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic; the first process wins, the others read its secret
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


class BrokerUnavailable(RuntimeError):
    """Raised in a web request when a background job cannot be queued or polled."""


def _is_connection_error(exc: BaseException) -> bool:
    try:
        from kombu.exceptions import OperationalError
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - both come with celery[redis]
        return isinstance(exc, ConnectionError)
    if isinstance(exc, OperationalError | RedisConnectionError | RedisTimeoutError | ConnectionError):
        return True
    # celery's result consumer gives up with a RuntimeError that wraps the connection error
    return isinstance(exc, RuntimeError) and "result store" in str(exc)


def celery_manager(spec: Any):
    """Dash's CeleryManager whose job submission turns a dead Redis into ``BrokerUnavailable``."""
    from dash import CeleryManager

    class CheckedCeleryManager(CeleryManager):
        def call_job_fn(self, key, job_fn, args, context):
            try:
                return super().call_job_fn(key, job_fn, args, context)
            except Exception as exc:
                if _is_connection_error(exc):
                    raise BrokerUnavailable(broker_message(spec.broker_url, exc)) from exc
                raise

    return CheckedCeleryManager(make_celery(spec))


def job_error_handler(spec: Any):
    """App-wide Dash ``on_error``: a dead broker becomes one line in the job's status output.

    Any other error is re-raised unchanged (Dash's default behaviour). The status output is
    the ``...-status`` ``children`` output of a job (see ``components.shared.jobs.job_controls``).
    """

    def handle(err: Exception):
        if isinstance(err, BrokerUnavailable):
            message = str(err)
        elif _is_connection_error(err):
            message = broker_message(spec.broker_url, err)
        else:
            raise err
        _log(f"error: {message}")
        from dash import callback_context, no_update

        outputs = callback_context.outputs_list
        flat = outputs if isinstance(outputs, list) else [outputs]
        values = [message if isinstance(o, dict) and str(o.get("id", "")).endswith("-status")
                  and o.get("property") == "children" else no_update for o in flat]
        if all(v is no_update for v in values):
            raise err
        return values if isinstance(outputs, list) else values[0]

    return handle


# --- authentication -----------------------------------------------------------------------------


class AuthError(ValueError):
    """A bad authentication setting: one line, never containing a password."""


def read_users(path: str | Path) -> dict[str, str]:
    """``user:password`` lines (``#`` comments and blank lines ignored) as a dict."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise AuthError(f"{USERS_FILE_ENV}: cannot read users file {path} ({reason})") from None
    users: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        user = user.strip()
        if not sep or not user or not password:
            raise AuthError(f"{path}: line {number}: expected 'user:password'")
        if user in users:
            raise AuthError(f"{path}: line {number}: user '{user}' appears twice")
        users[user] = password
    if not users:
        raise AuthError(f"{path}: no users (one 'user:password' per line)")
    return users


class _Verifier:
    """Checks passwords in constant time; a verified hash is remembered (per process) so that
    scrypt runs once per user and password, not once per request."""

    def __init__(self, users: dict[str, str]) -> None:
        self._users = users
        self._pepper = secrets.token_bytes(32)
        self._verified: set[bytes] = set()

    def __call__(self, user: str | None, password: str | None) -> bool:
        if not user or password is None or user not in self._users:
            return False
        stored = self._users[user]
        if not stored.startswith(_HASH_PREFIXES):
            return hmac.compare_digest(stored.encode("utf-8"), password.encode("utf-8"))
        token = hmac.new(self._pepper, f"{user}\0{password}".encode(), hashlib.sha256).digest()
        if token in self._verified:
            return True
        from werkzeug.security import check_password_hash

        if check_password_hash(stored, password):
            self._verified.add(token)
            return True
        return False


def auth_settings(environ: dict[str, str] | None = None) -> tuple[str, str] | None:
    """``("basic", users_file)``, ``("proxy", header)`` or None, from the environment."""
    env = os.environ if environ is None else environ
    users_file = env.get(USERS_FILE_ENV, "").strip()
    header = env.get(PROXY_HEADER_ENV, "").strip()
    if users_file and header:
        raise AuthError(f"set either {USERS_FILE_ENV} or {PROXY_HEADER_ENV}, not both")
    if users_file:
        return "basic", users_file
    if header:
        return "proxy", header
    return None


def install_auth(app, environ: dict[str, str] | None = None) -> str | None:
    """Protect every route of a Dash app as the environment says; return a log line or None."""
    settings = auth_settings(environ)
    if settings is None:
        return None
    try:
        import flask
        from dash_auth.auth import Auth  # the before_request guard that BasicAuth builds on
    except ImportError:
        raise AuthError("authentication needs dash-auth: pip install -e '.[team]'") from None
    mode, value = settings
    if mode == "basic":
        verify = _Verifier(read_users(value))
        count = len(verify._users)

        class _Basic(Auth):
            def is_authorized(self) -> bool:
                credentials = flask.request.authorization  # werkzeug parses it; None if malformed
                if credentials is None or credentials.type != "basic":
                    return False
                return verify(credentials.username, credentials.password)

            def login_request(self):
                return flask.Response("Login required", status=401,
                                      headers={"WWW-Authenticate": 'Basic realm="Compress & Compare"'})

        _Basic(app)
        return f"auth: basic, {count} user{'s' if count != 1 else ''} from {value}"

    header = value

    class _Proxy(Auth):
        def is_authorized(self) -> bool:
            return bool(flask.request.headers.get(header, "").strip())

        def login_request(self):
            return flask.Response("Forbidden: sign in through the team's proxy", status=403)

    _Proxy(app)
    return f"auth: trusting the reverse proxy's {header} header"
