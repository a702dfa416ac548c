"""Access to the loaded experiment and its engine from layouts, callbacks and background jobs.

The experiment is read-only once loaded, so sharing it between requests is safe. Background
jobs run in forked processes without a Flask app context; they use the copy installed by
``install`` before the fork. Engines (with their SQLite handles) are per process.
"""

from __future__ import annotations

import os
from functools import lru_cache

from flask import current_app, has_app_context

from backend.cache import ResultCache
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.inference.protocol import InspectorError
from backend.loader import Experiment

CONFIG_KEY = "CC_EXPERIMENT"
_installed: list[Experiment] = []  # set once per process by app.create_app, never per request


def install(experiment: Experiment) -> None:
    """Remember the app's experiment for code that runs outside a request (forked jobs)."""
    _installed[:] = [experiment]


def experiment() -> Experiment:
    """The experiment of the current app (request) or of this process (background job)."""
    if has_app_context() and CONFIG_KEY in current_app.config:
        return current_app.config[CONFIG_KEY]
    if not _installed:
        raise RuntimeError("no experiment loaded: create the app with app.create_app()")
    return _installed[0]


def engine() -> Engine:
    """The computation engine of the current experiment, or InspectorError if none is set."""
    return _engine(experiment(), os.getpid())


@lru_cache(maxsize=8)
def _engine(exp: Experiment, _pid: int) -> Engine:
    if exp.inspector is None:
        raise InspectorError("this experiment has no inspector: add an 'inspector:' section "
                             "(module and class) to the config to compute predictions and layers")
    spec = exp.inspector
    return Engine(exp.forest, make_inspector(spec), ResultCache(exp.cache_dir / "results"),
                  spec.activation_sample, spec.activation_seed)
