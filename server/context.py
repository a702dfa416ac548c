"""Access to the loaded experiment and its engine from layouts, callbacks and background jobs.

The experiment is read-only once loaded, so sharing it between requests is safe. Background
jobs run in forked processes without a Flask app context; they use the copy installed by
``install`` before the fork. Engines (with their SQLite handles) are per process.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache

from flask import current_app, has_app_context

from backend.experiment.loader import ConfigError, Experiment, load_experiment
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.inference.protocol import InspectorError
from backend.infra.cache import ResultCache

CONFIG_KEY = "CC_EXPERIMENT"
_installed: list[Experiment] = []  # set once per process by app.create_app, never per request


def install(experiment: Experiment) -> None:
    """Remember the app's experiment for code that runs outside a request (forked jobs)."""
    _installed[:] = [experiment]


def experiment() -> Experiment:
    """The experiment of the current app (request) or of this process (background job).

    If its models file changed on disk (an ExperimentLog of a running experiment appended
    models, the first one included), it is re-read once per change, so a page load shows the
    new models.
    """
    if has_app_context() and CONFIG_KEY in current_app.config:
        original = current_app.config[CONFIG_KEY]
    elif _installed:
        original = _installed[0]
    else:
        raise RuntimeError("no experiment loaded: create the app with app.create_app()")
    return _latest(original)


# Per process, keyed by the experiment the app was created with: the newest version read from
# its models file. Shared read-only data (every user sees the same file), never per-user state.
_versions: dict[int, tuple[tuple, Experiment]] = {}
_versions_lock = threading.Lock()


def _latest(original: Experiment) -> Experiment:
    mtime = original.current_stamp()  # the models file's, or an importer's source's (MLflow, cards)
    if mtime is None:  # the file is away for a moment: keep what was read last
        return _versions.get(id(original), ((0, 0, 0), original))[1]
    with _versions_lock:
        # the first request compares with the file as it was loaded: a model logged between
        # start-up and the first page load still shows
        seen = _versions.setdefault(id(original), (original.stamp or mtime, original))
        if seen[0] == mtime:
            return seen[1]
        try:
            fresh = load_experiment(original.config_path, cache_dir=original.cache_dir, build=False)
            mtime = fresh.stamp or mtime  # taken just before it read the file
        except ConfigError as exc:
            logging.getLogger(__name__).warning("keeping the previous models: %s", exc.problems[0])
            fresh = seen[1]
        _versions[id(original)] = (mtime, fresh)
        return fresh


def engine() -> Engine:
    """The computation engine of the current experiment, or InspectorError if none is set."""
    return _engine(experiment(), os.getpid())


@lru_cache(maxsize=8)
def _engine(exp: Experiment, _pid: int) -> Engine:
    if exp.inspector is None:
        raise InspectorError("this experiment has no inspector: add an 'inspector:' section "
                             "(module and class) to the config to compute predictions and layers")
    spec = exp.inspector
    inspector = make_inspector(spec, exp.config_path.parent, exp.cache_dir)
    return Engine(exp.forest, inspector, ResultCache(exp.cache_dir / "results"),
                  spec.activation_sample, spec.activation_seed)
