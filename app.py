"""Compress & Compare: CLI, app factory and gunicorn entry point.

    python app.py [--config PATH] [--host 127.0.0.1] [--port 8050] [--cache-dir DIR]
                  [--debug] [--check] [--print-schema] [--build-only]
    gunicorn "app:create_server()"          # config from CC_CONFIG, cache from CC_CACHE_DIR
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DEFAULT_CONFIG = ROOT / "configs" / "demo.yaml"
DEFAULT_CACHE = ROOT / ".cache"


def _log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def load_path(config_path: str | Path | None) -> Path:
    """The config file in effect: CLI, then CC_CONFIG, then the embedded demo."""
    return Path(config_path or os.environ.get("CC_CONFIG") or DEFAULT_CONFIG)


def load(config_path: str | Path | None, cache_dir: str | Path | None = None, build: bool = True):
    """Load the experiment with the CLI > environment > config > default precedence."""
    from backend.loader import load_experiment

    return load_experiment(
        load_path(config_path),
        cache_dir=cache_dir or os.environ.get("CC_CACHE_DIR") or None,
        build=build,
        log=_log,
        default_cache_dir=DEFAULT_CACHE,
    )


def create_app(config_path: str | Path | None = None, cache_dir: str | Path | None = None):
    """The app factory: load and validate the experiment, then build the Dash app around it.

    Raises ``backend.loader.ConfigError`` (one line per problem) for a bad config.
    """
    import dash
    from dash import Dash, dcc, html

    from components import ids
    from components.context import CONFIG_KEY, install
    from components.shell import topbar

    experiment = load(config_path, cache_dir)
    if experiment.inspector is not None:  # a typo in the plug-in fails at start-up, in one line
        from backend.inference.loading import inspector_class

        inspector_class(experiment.inspector)
    install(experiment)
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        compress=True,
        suppress_callback_exceptions=True,
        title="Compress & Compare",
        background_callback_manager=background_manager(experiment),
    )
    app.server.config[CONFIG_KEY] = experiment
    app.layout = html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        topbar(experiment.forest.name),
        html.Div(id=ids.NOTICE, className="cc-notice"),
        html.Main(dash.page_container, className="cc-page"),
    ], className="cc-app")
    return app


def background_manager(experiment):
    """DiskcacheManager on the shared cache dir, or CeleryManager when the config says so."""
    spec = experiment.background
    if spec.manager == "celery":
        from celery import Celery
        from dash import CeleryManager

        celery = Celery("compress_and_compare", broker=spec.broker_url, backend=spec.result_backend)
        return CeleryManager(celery)
    import diskcache
    from dash import DiskcacheManager

    jobs_dir = experiment.cache_dir / "background-jobs"
    jobs_dir.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(jobs_dir)))


def create_server():
    """WSGI entry point for gunicorn: ``gunicorn "app:create_server()"`` (config: CC_CONFIG)."""
    from backend.inference.protocol import InspectorError
    from backend.loader import ConfigError

    try:
        return create_app().server
    except ConfigError as exc:
        for line in exc.problems:
            _log(line)
        raise SystemExit(2) from None
    except InspectorError as exc:
        _log(f"{load_path(None)}: {exc}")
        raise SystemExit(2) from None


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
        from backend.config import json_schema

        sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
        return 0
    from backend.inference.protocol import InspectorError
    from backend.loader import ConfigError

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
    except Exception as exc:  # a builder or plug-in failure: one line, not a traceback
        _log(f"error: {type(exc).__name__}: {exc}".splitlines()[0])
        return 2
    _log(f"serving {app.server.config['CC_EXPERIMENT'].summary()} on http://{args.host}:{args.port}")
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
