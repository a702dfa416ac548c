"""Compress & Compare: CLI, app factory and gunicorn entry point.

    python app.py [--config PATH] [--host 127.0.0.1] [--port 8050] [--cache-dir DIR]
                  [--debug] [--check] [--print-schema] [--build-only]
    gunicorn "app:create_server()"          # config from CC_CONFIG, cache from CC_CACHE_DIR
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DEFAULT_CONFIG = ROOT / "configs" / "demo.yaml"
DEFAULT_CACHE = ROOT / ".cache"
CELERY_KEY = "CC_CELERY"  # app.server.config key of the Celery app (worker.py reads it)


def _log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def load_path(config_path: str | Path | None) -> Path:
    """The config file in effect: CLI, then CC_CONFIG, then the embedded demo."""
    return Path(config_path or os.environ.get("CC_CONFIG") or DEFAULT_CONFIG)


def load(config_path: str | Path | None, cache_dir: str | Path | None = None, build: bool = True):
    """Load the experiment with the CLI > environment > config > default precedence."""
    from backend.experiment.loader import load_experiment

    return load_experiment(
        load_path(config_path),
        cache_dir=cache_dir or os.environ.get("CC_CACHE_DIR") or None,
        build=build,
        log=_log,
        default_cache_dir=DEFAULT_CACHE,
    )


def create_app(config_path: str | Path | None = None, cache_dir: str | Path | None = None):
    """The app factory: load and validate the experiment, then build the Dash app around it.

    Raises ``backend.experiment.loader.ConfigError`` (one line per problem) for a bad config.
    """
    import dash
    from dash import Dash, dcc, html
    from dash.exceptions import DependencyException

    from components.shared import ids
    from components.shared.shell import topbar
    from server.context import CONFIG_KEY, install

    experiment = load(config_path, cache_dir)
    if experiment.inspector is not None:  # a typo in the plug-in fails at start-up, in one line
        from backend.inference.loading import inspector_class

        inspector_class(experiment.inspector)
    install(experiment)
    manager = background_manager(experiment)
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        compress=True,
        suppress_callback_exceptions=True,
        title="Compress & Compare",
        background_callback_manager=manager,
        on_error=_job_error_handler(experiment),
    )
    _share_page_callbacks()
    # a request for a bundle path Dash never registered ("../../app.py") is a 404, not a 500
    # with a traceback in the log for every probe
    app.server.register_error_handler(DependencyException, lambda _exc: ("Not Found", 404))
    app.server.config[CONFIG_KEY] = experiment
    _team_wiring(app, experiment, manager)
    app.layout = html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        topbar(experiment.forest.name),
        html.Div(id=ids.NOTICE, className="cc-notice"),
        html.Main(dash.page_container, className="cc-page"),
    ], className="cc-app")
    return app


# ``dash.callback`` registers the pages' callbacks into Dash's module-level lists when their
# modules are first imported, and the first app's server set-up takes them (emptying the lists).
# A copy lets every app this process creates get them all (tests create several). Filled once
# per process at start-up, never per request.
_PAGE_CALLBACKS: dict[str, dict] = {}
_PAGE_CALLBACK_LIST: dict[str, dict] = {}
_PAGE_SCRIPTS: list[str] = []  # the inline JavaScript of clientside callbacks


def _share_page_callbacks() -> None:
    from dash import _callback

    def copy(entry: dict) -> dict:  # dash pops keys of "background" while setting an app up
        return {**entry, "background": dict(entry["background"])} if entry.get("background") else dict(entry)

    _PAGE_CALLBACKS.update({k: copy(v) for k, v in _callback.GLOBAL_CALLBACK_MAP.items()})
    _PAGE_CALLBACK_LIST.update({item["output"]: item for item in _callback.GLOBAL_CALLBACK_LIST})
    for key, entry in _PAGE_CALLBACKS.items():
        _callback.GLOBAL_CALLBACK_MAP.setdefault(key, copy(entry))
    present = {item["output"] for item in _callback.GLOBAL_CALLBACK_LIST}
    _callback.GLOBAL_CALLBACK_LIST.extend(v for k, v in _PAGE_CALLBACK_LIST.items() if k not in present)
    scripts = _callback.GLOBAL_INLINE_SCRIPTS
    _PAGE_SCRIPTS.extend(js for js in scripts if js not in _PAGE_SCRIPTS)
    scripts.extend(js for js in _PAGE_SCRIPTS if js not in scripts)


def background_manager(experiment):
    """DiskcacheManager on the shared cache dir, or CeleryManager when the config says so."""
    spec = experiment.background
    if spec.manager == "celery":
        from deploy import celery_manager

        return celery_manager(spec)
    from backend.infra.fork_gate import GatedCache
    from server.jobs import SafeDiskcacheManager as DiskcacheManager

    jobs_dir = experiment.cache_dir / "background-jobs"
    try:
        jobs_dir.mkdir(parents=True, exist_ok=True)
        return DiskcacheManager(GatedCache(str(jobs_dir)))
    except (OSError, sqlite3.Error) as exc:  # read-only or full: the overview must still serve
        # one folder per cache dir, shared by every worker of this machine (jobs are polled
        # by whichever worker answers); results are not cached, and the pages say why.
        digest = hashlib.sha256(str(jobs_dir.resolve()).encode()).hexdigest()[:12]
        fallback = Path(tempfile.gettempdir()) / f"cc-background-jobs-{digest}"
        _log(f"warning: cache directory {experiment.cache_dir} is not usable "
             f"({getattr(exc, 'strerror', None) or exc}); background jobs run from {fallback}")
        fallback.mkdir(parents=True, exist_ok=True)
        return DiskcacheManager(GatedCache(str(fallback)))


def _job_error_handler(experiment):
    """Under Celery: a dead Redis becomes one line in the job's status (deploy.job_error_handler)."""
    if experiment.background.manager != "celery":
        return None
    from deploy import job_error_handler

    return job_error_handler(experiment.background)


def _team_wiring(app, experiment, manager) -> None:
    """Authentication from CC_AUTH_* (deploy.install_auth); under Celery, check Redis once.

    An unreachable broker is logged in one line and the app still serves the overview.
    """
    from deploy import install_auth

    line = install_auth(app)
    if line:
        _log(line)
    if experiment.background.manager == "celery":
        from deploy import celery_problem, shared_secret

        app.server.config[CELERY_KEY] = manager.handle
        if not app.server.secret_key:  # job handles must verify in every worker, Redis up or not
            try:
                app.server.secret_key = shared_secret(experiment.cache_dir)
            except OSError as exc:  # an unusable cache dir: Dash keeps its secret in Redis
                _log(f"warning: cannot keep the job-signing secret in {experiment.cache_dir} ({exc})")
        problem = celery_problem(manager.handle)
        if problem:
            _log(f"warning: {problem}")


# gunicorn's Arbiter.APP_LOAD_ERROR: a worker exiting with it stops the master. Any other code
# (the CLI's 2) makes gunicorn respawn the worker forever, repeating the same error.
GUNICORN_APP_LOAD_ERROR = 4


def create_server():
    """WSGI entry point for gunicorn: ``gunicorn "app:create_server()"`` (config: CC_CONFIG).

    A bad config, plug-in or auth setting logs one line and stops gunicorn (exit 4)."""
    from backend.experiment.loader import ConfigError
    from backend.inference.protocol import InspectorError
    from deploy import AuthError

    try:
        server = create_app().server
        from server.jobs import web_process_threads

        web_process_threads()
        return server
    except ConfigError as exc:
        for line in exc.problems:
            _log(line)
        raise SystemExit(GUNICORN_APP_LOAD_ERROR) from None
    except InspectorError as exc:
        _log(f"{load_path(None)}: {exc}")
        raise SystemExit(GUNICORN_APP_LOAD_ERROR) from None
    except AuthError as exc:
        _log(f"error: {exc}")
        raise SystemExit(GUNICORN_APP_LOAD_ERROR) from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python app.py", description=__doc__.splitlines()[0])
    p.add_argument("--config", help="experiments.yaml, a models file, or the reference's JSON "
                   "(default: the embedded demo, configs/demo.yaml)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--cache-dir", help="cache directory (default: the config's, else ./.cache)")
    p.add_argument("--debug", action="store_true", help="Dash debug mode with hot reload")
    p.add_argument("--check", action="store_true", help="validate the config and exit")
    p.add_argument("--print-schema", action="store_true", help="print the config JSON Schema")
    p.add_argument("--build-only", action="store_true",
                   help="build what the config needs (the demo's models) and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    """CLI: exit 0 on success, 2 on a bad config (one line per problem, never a traceback)."""
    args = _parser().parse_args(argv)
    if args.print_schema:
        from backend.experiment.schema import json_schema

        sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
        return 0
    from backend.experiment.loader import ConfigError
    from backend.inference.protocol import InspectorError

    try:
        if args.check or args.build_only:
            experiment = load(args.config, args.cache_dir)
            if experiment.inspector is not None:
                from backend.inference.loading import inspector_class

                inspector_class(experiment.inspector)
            for warning in experiment.forest.warnings:
                _log(f"warning: {warning}")
            sys.stdout.write(experiment.summary() + "\n")
            return 0
        app = create_app(args.config, args.cache_dir)
    except ConfigError as exc:
        for line in exc.problems:
            _log(line)
        return 2
    except InspectorError as exc:
        _log(f"{load_path(args.config)}: {exc}")
        return 2
    except Exception as exc:  # a builder or plug-in failure (or deploy.AuthError): one line, not a traceback
        _log(f"error: {type(exc).__name__}: {exc}".splitlines()[0])
        return 2
    _log(f"serving {app.server.config['CC_EXPERIMENT'].summary()} on http://{args.host}:{args.port}")
    from server.jobs import web_process_threads

    web_process_threads()
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
