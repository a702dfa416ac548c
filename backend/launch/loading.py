"""Import the launcher class named in the config, with one-line errors (as the inspector's)."""

from __future__ import annotations

from pathlib import Path

from backend.experiment.schema import LaunchSpec
from backend.infra.plugins import plugin_class
from backend.launch.params import LaunchError
from backend.launch.protocol import Launcher


def launcher_class(spec: LaunchSpec, config_dir: str | Path | None = None) -> type[Launcher]:
    """The class ``spec.module``.``spec.class_name``, checked to be a concrete Launcher."""
    return plugin_class("launch", spec.module, spec.class_name, Launcher, "backend.launch.Launcher",
                        LaunchError, config_dir)


def make_launcher(spec: LaunchSpec, config_dir: str | Path | None = None) -> Launcher:
    """The configured launcher, given its options."""
    cls = launcher_class(spec, config_dir)
    try:
        return cls(spec.options)
    except Exception as exc:
        raise LaunchError(f"launch: '{spec.class_name}' failed to start "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]})") from None
