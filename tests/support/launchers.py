"""Launchers the kill tests control from outside.

``HoldingLauncher``: the demo's launcher that, once its checkpoint is written and measured,
appends its pid to the option ``pid_file`` and, while the file named by ``hold`` exists, waits
(the moment a kill leaves an unused checkpoint, never a model). ``FastLauncher``: copies the base's
checkpoint and metrics at once, so a loop of launches spends its time writing the models file.
``python -m tests.support.launchers CONFIG`` launches with FastLauncher until killed.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from backend.demo.launcher import DemoLauncher
from backend.experiment.forest import Model
from backend.launch import Launcher, NumberParam, OperationSchema, Produced, launch_one
from backend.launch.protocol import Progress, Scalar


class HoldingLauncher(DemoLauncher):
    """DemoLauncher that can be paused after its run, before the model is appended."""

    def run(self, base: Model, operation: str, parameters: Mapping[str, Scalar],
            checkpoint: Path, progress: Progress) -> Produced:
        produced = super().run(base, operation, parameters, checkpoint, progress)
        if self.options.get("pid_file"):  # which process ran it (the web's job, a Celery worker)
            with open(self.options["pid_file"], "a", encoding="utf-8") as fh:
                fh.write(f"{os.getpid()}\n")
        hold = self.options.get("hold")
        if hold and Path(hold).exists():
            deadline = time.monotonic() + 120
            while Path(hold).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return produced


class FastLauncher(Launcher):
    """One operation, "copy": the base's checkpoint and metrics under a new id."""

    def operations(self) -> list[OperationSchema]:
        return [OperationSchema("copy", (NumberParam("n", 0, 1e9, integer=True),))]

    def run(self, base: Model, operation: str, parameters: Mapping[str, Scalar],
            checkpoint: Path, progress: Progress) -> Produced:
        assert base.checkpoint is not None
        tmp = checkpoint.with_suffix(".tmp")
        shutil.copyfile(base.checkpoint, tmp)
        tmp.replace(checkpoint)
        return Produced(metrics=dict(base.metrics))


def _loop(config: Path) -> None:
    from backend.experiment.loader import load_experiment

    exp = load_experiment(config)
    base = exp.forest["cnn"]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    n = 0
    while True:
        n += 1
        launch_one(FastLauncher(), exp.models_path, base, "copy", {"n": n})


if __name__ == "__main__":
    _loop(Path(sys.argv[1]))
