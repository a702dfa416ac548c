"""Access to the loaded experiment from layouts and callbacks (read-only, shared by requests)."""

from __future__ import annotations

from flask import current_app

from backend.loader import Experiment

CONFIG_KEY = "CC_EXPERIMENT"


def experiment() -> Experiment:
    """The experiment the running app was created with (set once by ``app.create_app``)."""
    return current_app.config[CONFIG_KEY]
