"""Import a plug-in class named in the config (inspector, launcher), with one-line errors.

Why one place: every plug-in key is read the same way (from installed packages or the config's
own folder, a typo gets "did you mean", an abstract class names what it lacks), and only the
key, the base class and the error type differ.
"""

from __future__ import annotations

import importlib
import inspect as pyinspect
import sys
from pathlib import Path

from backend.experiment.schema import did_you_mean


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


def plugin_class(key: str, module_name: str, class_name: str, base: type, base_label: str,
                 error: type[Exception], config_dir: str | Path | None = None) -> type:
    """``module_name``.``class_name``, checked to be a concrete subclass of ``base``.

    Every problem raises ``error`` with one line starting with the config key (``key.module``,
    ``key.class``).
    """
    plugin_folder(config_dir)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise error(f"{key}.module: cannot import '{module_name}' ({exc})") from None
    except Exception as exc:  # the plug-in module itself raised while importing
        raise error(f"{key}.module: importing '{module_name}' failed "
                    f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]})") from None
    cls = getattr(module, class_name, None)
    if cls is None:
        names = [n for n, v in vars(module).items() if pyinspect.isclass(v)]
        raise error(f"{key}.class: module '{module_name}' has no class "
                    f"'{class_name}'{did_you_mean(class_name, names)}")
    if not (pyinspect.isclass(cls) and issubclass(cls, base)):
        raise error(f"{key}.class: '{module_name}.{class_name}' is not a subclass of {base_label}")
    if pyinspect.isabstract(cls):
        raise error(f"{key}.class: '{class_name}' does not implement "
                    f"{', '.join(sorted(cls.__abstractmethods__))}")
    return cls
