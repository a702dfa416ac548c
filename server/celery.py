"""Celery background jobs through Redis, for team deploys (``background: {manager: celery}``).

``make_celery`` builds the Celery app that Dash's ``CeleryManager`` queues background
callbacks on, configured to fail within about a second when Redis is down (instead of the
default 20 s of retries inside a web request). ``celery_problem`` checks the broker and the
result store at start-up; the app still starts (the overview needs neither) and logs one
line naming the URL. A background callback started while Redis is down answers one line in
the job's status (``job_error_handler``). ``worker.py`` is the worker's entry point.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from server.log import log as _log

FALLBACK_HINT = "start Redis, or set 'background: {manager: diskcache}' in the config to run jobs locally"


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
