"""Import the inspector class named in the config, with one-line errors for typos."""

from __future__ import annotations

from pathlib import Path

from backend.experiment.schema import InspectorSpec
from backend.inference.protocol import Inspector, InspectorError
from backend.infra.plugins import plugin_class, plugin_folder

__all__ = ["inspector_class", "make_inspector", "plugin_folder"]


def inspector_class(spec: InspectorSpec, config_dir: str | Path | None = None) -> type[Inspector]:
    """The class ``spec.module``.``spec.class_name``, checked to be an Inspector subclass."""
    cls = plugin_class("inspector", spec.module, spec.class_name, Inspector,
                       "backend.inference.Inspector", InspectorError, config_dir)
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
