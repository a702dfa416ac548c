"""The command line: ``python app.py [--config PATH] [--host] [--port] [--cache-dir] ...``.

Why its own module: the CLI's contract is its exit codes and one-line errors (0 on success,
2 on a bad config, one line per problem, never a traceback), which the tests hold it to; the
factory it calls is shared with gunicorn and the Celery worker.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from server.factory import DEFAULT_CACHE, create_app, load, load_path
from server.log import log as _log

DESCRIPTION = "Compress & Compare: CLI, app factory and gunicorn entry point."


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python app.py", description=DESCRIPTION)
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
    p.add_argument("--snapshot", metavar="URL",
                   help="write one self-contained HTML file of this app URL (e.g. '/?sel=a,b' or "
                        "'/behaviors?models=a,b&base=a') to -o and exit; no server is started")
    p.add_argument("-o", "--output", metavar="FILE", help="where --snapshot writes (default: snapshot.html)")
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
    from backend.launch.params import LaunchError

    if args.check:
        return _check(args)
    if args.snapshot is not None:
        return _snapshot(args)
    if args.output is not None:
        _log("error: -o/--output is only used with --snapshot")
        return 2
    try:
        if args.build_only:
            experiment = load(args.config, args.cache_dir)
            if experiment.inspector is not None:
                from backend.inference.loading import inspector_class

                inspector_class(experiment.inspector, experiment.config_path.parent)
            for warning in experiment.forest.warnings:
                _log(f"warning: {warning}")
            sys.stdout.write(experiment.summary() + "\n")
            return 0
        app = create_app(args.config, args.cache_dir)
    except ConfigError as exc:
        for line in exc.problems + ([exc.skipped] if exc.skipped else []):
            _log(line)
        return 2
    except (InspectorError, LaunchError) as exc:
        _log(f"{load_path(args.config)}: {exc}")
        return 2
    except Exception as exc:  # a builder or plug-in failure, or an AuthError: one line, no traceback
        _log(f"error: {type(exc).__name__}: {exc}".splitlines()[0])
        return 2
    _log(f"serving {app.server.config['CC_EXPERIMENT'].summary()} on http://{args.host}:{args.port}")
    from server.jobs import web_process_threads

    web_process_threads()
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


def _check(args: argparse.Namespace) -> int:
    """``--check``: every problem in one run (exit 2), or the summary line (exit 0).

    The problems come first, one line each, then one line naming the checks that could not run;
    warnings are shown only for an experiment that passes (they would bury the problems).
    """
    from backend.experiment.check import check_experiment

    try:
        report = check_experiment(load_path(args.config),
                                  cache_dir=args.cache_dir or os.environ.get("CC_CACHE_DIR") or None,
                                  log=_log, default_cache_dir=DEFAULT_CACHE)
    except Exception as exc:  # a builder or plug-in failure: one line naming the config, no traceback
        _log(f"{load_path(args.config)}: error: {type(exc).__name__}: {exc}".splitlines()[0])
        return 2
    for line in report.problems:
        _log(line)
    if report.skipped:
        _log(report.skipped)
    if not report.ok or report.experiment is None:
        return 2
    for warning in report.warnings:
        _log(f"warning: {warning}")
    sys.stdout.write(report.experiment.summary() + "\n")
    return 0


def _snapshot(args: argparse.Namespace) -> int:
    """``--snapshot URL -o FILE``: the file of that view, built without a server (exit 0); a bad
    config, URL or model id is one line and exit 2. Cached results only: nothing is computed."""
    from pathlib import Path

    from backend.experiment.loader import ConfigError
    from backend.snapshot import SnapshotError
    from server.context import install

    out = Path(args.output or "snapshot.html")
    try:
        experiment = load(args.config, args.cache_dir)
        install(experiment)  # the pages' cache readers find the experiment and its engine here
        from pages._snapshot import snapshot_html

        page = snapshot_html(experiment, args.snapshot, strict=True)
        out.write_text(page, encoding="utf-8")
    except ConfigError as exc:
        for line in exc.problems + ([exc.skipped] if exc.skipped else []):
            _log(line)
        return 2
    except SnapshotError as exc:
        _log(f"error: {exc}".splitlines()[0])
        return 2
    except OSError as exc:
        _log(f"error: cannot write {out}: {exc.strerror or exc}")
        return 2
    except Exception as exc:  # a builder or plug-in failure: one line, no traceback
        _log(f"error: {type(exc).__name__}: {exc}".splitlines()[0])
        return 2
    _log(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB): {args.snapshot}")
    return 0
