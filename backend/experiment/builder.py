"""Run a config's ``builder`` ('module:function') to (re)build a missing models file.

Its own module because it spawns a process (see ``run_builder``); the loader only calls it.
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections.abc import Callable
from pathlib import Path

from backend.experiment.errors import ConfigError


def _builder(spec: str) -> Callable:
    module_name, _, func_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError([f"builder: cannot import module '{module_name}' ({exc})"]) from None
    fn = getattr(module, func_name or "build", None)
    if not callable(fn):
        raise ConfigError([f"builder: module '{module_name}' has no function '{func_name}'"])
    return fn


def _build_in_child(spec: str, models_path: Path, cache_dir: Path, conn) -> None:
    try:
        _builder(spec)(models_path=models_path, cache_dir=cache_dir, log=lambda m: conn.send(("log", m)))
        conn.send(("ok", ""))
    except ConfigError as exc:
        conn.send(("error", exc.problems[0]))
    except Exception as exc:  # noqa: BLE001 - a user builder may raise anything: report one line
        conn.send(("error", f"builder '{spec}' failed: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_builder(spec: str, models_path: Path, cache_dir: Path,
                log: Callable[[str], None]) -> None:
    """Import 'module:function' and call it to (re)build a missing models file.

    It runs in a freshly spawned process: training multi-threaded torch in the web process would
    leave an OpenMP pool behind, and every background job forked from it afterwards would hang
    in its first parallel operation.
    """
    _builder(spec)  # import errors are reported here, in one line, before any process starts
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_build_in_child, args=(spec, models_path, cache_dir, child), daemon=True)
    proc.start()
    child.close()
    outcome = ("error", f"builder '{spec}' exited without a result")
    try:
        while True:
            kind, message = parent.recv()
            if kind == "log":
                log(message)
            else:
                outcome = (kind, message)
                break
    except EOFError:
        pass
    finally:
        proc.join()
    if outcome[0] != "ok":
        detail = outcome[1] if proc.exitcode in (0, None) else f"{outcome[1]} (exit code {proc.exitcode})"
        raise ConfigError([detail])
