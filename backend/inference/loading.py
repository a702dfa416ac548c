"""Import the inspector class named in the config, with one-line errors for typos."""

from __future__ import annotations

import importlib
import inspect as pyinspect
import sys
from pathlib import Path

from backend.experiment.schema import InspectorSpec, did_you_mean
from backend.inference.protocol import Inspector, InspectorError


def plugin_folder(config_dir: str | Path | None) -> None:
    """Let plug-ins be imported from the config's own folder as well as from installed packages.

    Why: a user's inspector usually sits next to their ``experiments.yaml``; asking them to set
    PYTHONPATH by hand was the first stumbling block. The folder goes last on ``sys.path``, so an
    installed package of the same name still wins.
    """
    if config_dir is None:
        return
    folder = str(Path(config_dir).resolve())
    if folder not in sys.path:
        sys.path.append(folder)


def inspector_class(spec: InspectorSpec, config_dir: str | Path | None = None) -> type[Inspector]:
    """The class ``spec.module``.``spec.class_name``, checked to be an Inspector subclass."""
    plugin_folder(config_dir)
    try:
        module = importlib.import_module(spec.module)
    except ImportError as exc:
        raise InspectorError(f"inspector.module: cannot import '{spec.module}' ({exc})") from None
    except Exception as exc:  # the plug-in module itself raised while importing
        raise InspectorError(f"inspector.module: importing '{spec.module}' failed "
                             f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]})") from None
    cls = getattr(module, spec.class_name, None)
    if cls is None:
        names = [n for n, v in vars(module).items() if pyinspect.isclass(v)]
        raise InspectorError(f"inspector.class: module '{spec.module}' has no class "
                             f"'{spec.class_name}'{did_you_mean(spec.class_name, names)}")
    if not (pyinspect.isclass(cls) and issubclass(cls, Inspector)):
        raise InspectorError(f"inspector.class: '{spec.module}.{spec.class_name}' is not a "
                             "subclass of backend.inference.Inspector")
    if pyinspect.isabstract(cls):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise InspectorError(f"inspector.class: '{spec.class_name}' does not implement {missing}")
    problem = cls.missing_requirement()
    if problem:
        raise InspectorError(f"inspector.class: {spec.class_name}: {problem}")
    return cls


def make_inspector(spec: InspectorSpec, config_dir: str | Path | None = None,
                   cache_dir: str | Path | None = None) -> Inspector:
    """Instantiate the configured inspector with its options, device and batch size; tell it the
    config's folder and the cache directory (for file options, ``Inspector.resolve_path``)."""
    cls = inspector_class(spec, config_dir)
    try:
        inspector = cls(options=spec.options, device=spec.device, batch_size=spec.batch_size)
        if config_dir is not None:
            inspector.config_dir = Path(config_dir)
        if cache_dir is not None:
            inspector.cache_dir = Path(cache_dir)
        return inspector
    except InspectorError:
        raise
    except Exception as exc:
        raise InspectorError(f"inspector: '{spec.class_name}' failed to start "
                             f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]})") from None
