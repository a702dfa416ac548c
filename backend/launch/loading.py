"""Import the launcher class named in the config, with one-line errors (as the inspector's)."""

from __future__ import annotations

import importlib
import inspect as pyinspect
from pathlib import Path

from backend.experiment.schema import LaunchSpec, did_you_mean
from backend.inference.loading import plugin_folder
from backend.launch.params import LaunchError
from backend.launch.protocol import Launcher


def launcher_class(spec: LaunchSpec, config_dir: str | Path | None = None) -> type[Launcher]:
    """The class ``spec.module``.``spec.class_name``, checked to be a concrete Launcher."""
    plugin_folder(config_dir)  # a launcher next to experiments.yaml imports, as an inspector does
    try:
        module = importlib.import_module(spec.module)
    except ImportError as exc:
        raise LaunchError(f"launch.module: cannot import '{spec.module}' ({exc})") from None
    except Exception as exc:
        raise LaunchError(f"launch.module: importing '{spec.module}' failed "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]})") from None
    cls = getattr(module, spec.class_name, None)
    if cls is None:
        names = [n for n, v in vars(module).items() if pyinspect.isclass(v)]
        raise LaunchError(f"launch.class: module '{spec.module}' has no class "
                          f"'{spec.class_name}'{did_you_mean(spec.class_name, names)}")
    if not (pyinspect.isclass(cls) and issubclass(cls, Launcher)):
        raise LaunchError(f"launch.class: '{spec.module}.{spec.class_name}' is not a subclass of "
                          "backend.launch.Launcher")
    if pyinspect.isabstract(cls):
        raise LaunchError(f"launch.class: '{spec.class_name}' does not implement "
                          f"{', '.join(sorted(cls.__abstractmethods__))}")
    return cls


def make_launcher(spec: LaunchSpec, config_dir: str | Path | None = None) -> Launcher:
    """The configured launcher, given its options."""
    cls = launcher_class(spec, config_dir)
    try:
        return cls(spec.options)
    except Exception as exc:
        raise LaunchError(f"launch: '{spec.class_name}' failed to start "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]})") from None
