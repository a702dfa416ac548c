"""Import the inspector class named in the config, with one-line errors for typos."""

from __future__ import annotations

import importlib
import inspect as pyinspect

from backend.experiment.schema import InspectorSpec, did_you_mean
from backend.inference.protocol import Inspector, InspectorError


def inspector_class(spec: InspectorSpec) -> type[Inspector]:
    """The class ``spec.module``.``spec.class_name``, checked to be an Inspector subclass."""
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
    return cls


def make_inspector(spec: InspectorSpec) -> Inspector:
    """Instantiate the configured inspector with its options, device and batch size."""
    cls = inspector_class(spec)
    try:
        return cls(options=spec.options, device=spec.device, batch_size=spec.batch_size)
    except InspectorError:
        raise
    except Exception as exc:
        raise InspectorError(f"inspector: '{spec.class_name}' failed to start "
                             f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]})") from None
