"""``--check``: every problem of an experiment in one run, beyond what loading needs.

Loading refuses only what makes the app wrong; ``--check`` also refuses what would fail later
(a checkpoint that is not there, an inspector that does not import, an experiment with no
models), so a user finds it before the first page load, and in one pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from backend.experiment.errors import ConfigError
from backend.experiment.loader import Collected, Experiment, collect
from backend.experiment.messages import name


@dataclass
class CheckReport:
    """Problems (one line each), warnings, the skipped-checks line, and the experiment if it loads."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: str | None = None
    experiment: Experiment | None = None

    @property
    def ok(self) -> bool:
        """True when the experiment loads and every check passed."""
        return not self.problems and self.experiment is not None


def checkpoint_problems(found: Collected) -> list[str]:
    """One line per model whose checkpoint file does not exist."""
    out = []
    assert found.models_path is not None
    for entry in found.entries or []:
        if not entry.checkpoint:
            continue
        path = Path(entry.checkpoint)
        path = path if path.is_absolute() else found.models_path.parent / path
        if not os.path.exists(path):  # a 300-character name: False, not OSError
            out.append(f"{found.models_path}: model '{name(entry.id)}': checkpoint: file not found: "
                       f"{name(path, 1000)}")
    return out


def _inspector_problem(found: Collected) -> str | None:
    if found.inspector is None:
        return None
    from backend.inference.loading import inspector_class
    from backend.inference.protocol import InspectorError

    try:
        inspector_class(found.inspector, Path(found.config_path).parent)
    except InspectorError as exc:
        return f"{found.config_path}: {exc}"
    return None


def _launch_problem(found: Collected) -> str | None:
    """The launch: plug-in must import too, or "New experiment…" would fail in the browser."""
    spec = found.experiment.launch if found.experiment is not None else None
    if spec is None:
        return None
    from backend.launch.loading import launcher_class
    from backend.launch.params import LaunchError

    try:
        launcher_class(spec, Path(found.config_path).parent)
    except LaunchError as exc:
        return f"{found.config_path}: {exc}"
    return None


def check_experiment(
    config_path: str | Path,
    cache_dir: str | Path | None = None,
    build: bool = True,
    log: Callable[[str], None] = lambda _msg: None,
    default_cache_dir: str | Path | None = None,
) -> CheckReport:
    """Everything ``--check`` reports: the loader's problems, then models, checkpoints, inspector."""
    try:
        found = collect(config_path, cache_dir, build, log, default_cache_dir)
    except ConfigError as exc:  # the config itself is unreadable: nothing else can be checked
        return CheckReport(list(exc.problems), skipped=exc.skipped)
    report = CheckReport(list(found.problems), list(found.warnings))
    if found.entries is not None and found.listed == 0:
        where = found.models_path if found.models_path is not None else found.config_path
        report.problems.append(f"{where}: models: the experiment has no models (the list is empty); "
                               "--check needs at least one (the app starts and waits for them)")
    if found.entries is not None:
        report.problems += checkpoint_problems(found)
    if (line := _inspector_problem(found)) is not None:
        report.problems.append(line)
    elif found.inspector_invalid:
        found.skipped.append("the inspector import (its section has problems)")
    if (line := _launch_problem(found)) is not None:
        report.problems.append(line)
    report.skipped = found.skipped_line()
    report.experiment = found.experiment
    return report
