"""The app factory: load the experiment, build the Dash app around it, wire jobs and auth.

``create_app`` is what the CLI, gunicorn (``create_server``), the Celery worker and the tests
call; ``app.py`` at the top of the repository only re-exports it, so ``gunicorn
"app:create_server()"`` and ``worker:celery_app`` keep their names.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from pathlib import Path

from server.callbacks import share_page_callbacks
from server.log import log as _log

ROOT = Path(__file__).resolve().parents[1]  # the repository: configs/, pages/, assets/
DEFAULT_CONFIG = ROOT / "configs" / "demo.yaml"
DEFAULT_CACHE = ROOT / ".cache"
CELERY_KEY = "CC_CELERY"  # app.server.config key of the Celery app (worker.py reads it)


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
    from dash import Dash
    from dash.exceptions import DependencyException

    from server import early_requests, lazy_bundles, legacy_scripts, plotly_bundle, static
    from server.context import CONFIG_KEY, install
    from server.first_view import app_layout

    experiment = load(config_path, cache_dir)
    if experiment.inspector is not None:  # a typo in the plug-in fails at start-up, in one line
        from backend.inference.loading import inspector_class

        inspector_class(experiment.inspector, experiment.config_path.parent)
    if experiment.launch is not None:  # so is one in the launch: plug-in (LaunchError)
        from backend.launch.loading import launcher_class

        launcher_class(experiment.launch, experiment.config_path.parent)
    install(experiment)
    manager = background_manager(experiment)
    app = Dash(
        # the name Dash derives page module names from: "app" (the repository's app.py) makes
        # them "pages.overview" etc., as page_registry keys and sys.modules entries
        "app",
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        compress=False,  # server.static installs it, with static bodies compressed once
        suppress_callback_exceptions=True,
        title="Compress & Compare",
        background_callback_manager=manager,
        on_error=_job_error_handler(experiment),
    )
    import pages._shell  # the top bar's callbacks; pages register theirs on import
    import pages._snapshot_callbacks  # noqa: F401  (the top bar's Export snapshot button)

    static.install(app.server, app.config.routes_pathname_prefix)
    lazy_bundles.install(app)
    legacy_scripts.install(app)
    plotly_bundle.install(app)
    early_requests.install(app)

    share_page_callbacks()
    # a request for a bundle path Dash never registered ("../../app.py") is a 404, not a 500
    # with a traceback in the log for every probe
    app.server.register_error_handler(DependencyException, lambda _exc: ("Not Found", 404))
    app.server.config[CONFIG_KEY] = experiment
    _team_wiring(app, experiment, manager)
    _annotations_wiring(app)
    # the requested page is in the first layout, not a router round trip later (server/first_view.py)
    app.layout = app_layout(app, experiment.forest.name, pages._shell.nav_hrefs)
    return app


def background_manager(experiment):
    """DiskcacheManager on the shared cache dir, or CeleryManager when the config says so."""
    spec = experiment.background
    if spec.manager == "celery":
        from server.celery import celery_manager

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
    """Under Celery: a dead Redis becomes one line in the job's status (server.celery.job_error_handler)."""
    if experiment.background.manager != "celery":
        return None
    from server.celery import job_error_handler

    return job_error_handler(experiment.background)


def _team_wiring(app, experiment, manager) -> None:
    """Authentication from CC_AUTH_* (server.auth.install_auth); under Celery, check Redis once.

    An unreachable broker is logged in one line and the app still serves the overview.
    """
    from server.auth import install_auth

    line = install_auth(app)
    if line:
        _log(line)
    if experiment.background.manager == "celery":
        from server.celery import celery_problem, shared_secret

        app.server.config[CELERY_KEY] = manager.handle
        if not app.server.secret_key:  # job handles must verify in every worker, Redis up or not
            try:
                app.server.secret_key = shared_secret(experiment.cache_dir)
            except OSError as exc:  # an unusable cache dir: Dash keeps its secret in Redis
                _log(f"warning: cannot keep the job-signing secret in {experiment.cache_dir} ({exc})")
        problem = celery_problem(manager.handle)
        if problem:
            _log(f"warning: {problem}")


def _annotations_wiring(app) -> None:
    """The review notes' endpoint, and their schema created or migrated now (a database that is
    down is one logged line; the pages show it where notes would be)."""
    from server import annotations, annotations_api

    annotations_api.install(app.server)
    annotations.open_at_start()


# gunicorn's Arbiter.APP_LOAD_ERROR: a worker exiting with it stops the master. Any other code
# (the CLI's 2) makes gunicorn respawn the worker forever, repeating the same error.
GUNICORN_APP_LOAD_ERROR = 4


def create_server():
    """WSGI entry point for gunicorn: ``gunicorn "app:create_server()"`` (config: CC_CONFIG).

    A bad config, plug-in or auth setting logs one line and stops gunicorn (exit 4)."""
    from backend.experiment.loader import ConfigError
    from backend.inference.protocol import InspectorError
    from backend.launch.params import LaunchError
    from server.auth import AuthError

    try:
        server = create_app().server
        from server.jobs import web_process_threads

        web_process_threads()
        return server
    except ConfigError as exc:
        for line in exc.problems:
            _log(line)
        raise SystemExit(GUNICORN_APP_LOAD_ERROR) from None
    except (InspectorError, LaunchError) as exc:
        _log(f"{load_path(None)}: {exc}")
        raise SystemExit(GUNICORN_APP_LOAD_ERROR) from None
    except AuthError as exc:
        _log(f"error: {exc}")
        raise SystemExit(GUNICORN_APP_LOAD_ERROR) from None
