"""Run one launch end to end: reserve an id, make the checkpoint, measure, append the model.

Why a lock: ``ExperimentLog`` keeps one writer's view of the file, so the jobs of a sweep
(separate processes) each re-read and append under an exclusive ``flock``; the file is still
replaced atomically, so a job killed at any moment leaves the models file as it was, or with
its whole model (an unused checkpoint at most).
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from backend.experiment.forest import Model
from backend.experiment.safe_yaml import read_document
from backend.experiment.tracking import ExperimentLog
from backend.launch.params import LaunchError, check_parameters, find_operation
from backend.launch.protocol import Launcher, Progress, Scalar

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@contextmanager
def models_lock(models_path: Path) -> Iterator[None]:
    """One launch at a time reads-and-appends the models file (other processes wait)."""
    lock = models_path.with_name(f".{models_path.name}.lock")
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ids(models_path: Path) -> set[str]:
    doc = read_document(models_path) or {}
    return {str(m.get("id")) for m in doc.get("models") or [] if isinstance(m, dict)}


def reserve_id(models_path: Path, wanted: str) -> tuple[str, Path]:
    """A model id not in the file and whose checkpoint path is free; the empty checkpoint file
    created here holds the name against concurrent launches until the run replaces it."""
    stem = _UNSAFE.sub("-", wanted).strip("-.") or "model"
    folder = models_path.parent / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    with models_lock(models_path):
        taken = _ids(models_path)
        for n in range(1, 10_000):
            mid = stem if n == 1 else f"{stem}-{n}"
            path = folder / f"{mid}.pt"
            if mid in taken:
                continue
            try:
                path.open("x").close()
            except FileExistsError:
                continue
            return mid, path
    raise LaunchError(f"no free model id like '{stem}'")


def base_checkpoint(base: Model, models_path: Path) -> Model:
    """The base with its checkpoint absolute (relative paths are relative to the models file)."""
    if base.checkpoint is None:
        raise LaunchError(f"model '{base.id}': has no checkpoint to start from")
    path = Path(base.checkpoint)
    path = path if path.is_absolute() else models_path.parent / path
    if not path.is_file():
        raise LaunchError(f"model '{base.id}': checkpoint {path} does not exist")
    return Model(base.id, base.tag, base.base, base.operation, base.metrics, path, base.created)


def launch_one(launcher: Launcher, models_path: Path, base: Model, operation: str,
               parameters: Mapping[str, object], progress: Progress = lambda _line: None) -> str:
    """Derive one model from ``base`` and append it to ``models_path``; returns its id.

    Refuses (LaunchError, one line) an operation or parameters outside the launcher's schema
    before anything is computed.
    """
    op = find_operation(launcher.operations(), operation)
    params: dict[str, Scalar] = check_parameters(op, parameters)
    start = base_checkpoint(base, models_path)
    mid, checkpoint = reserve_id(models_path, launcher.model_id(base.id, op.name, params))
    progress(f"{mid}: {op.name} of {base.id}")
    try:
        produced = launcher.run(start, op.name, params, checkpoint, progress)
        if not checkpoint.is_file() or checkpoint.stat().st_size == 0:
            raise LaunchError(f"{op.name}: the launcher wrote no checkpoint to {checkpoint}")
        recorded = dict(produced.recorded if produced.recorded is not None else params)
        with models_lock(models_path):
            log = ExperimentLog(models_path)
            log.log_model(mid, base=base.id, operation=(op.name, recorded), metrics=dict(produced.metrics),
                          checkpoint=checkpoint, tag=produced.tag)
    except ValueError as exc:  # ExperimentLog refused the model (an undeclared metric...): one line
        checkpoint.unlink(missing_ok=True)
        raise LaunchError(str(exc).splitlines()[0]) from None
    except BaseException:
        checkpoint.unlink(missing_ok=True)  # the reservation; only a killed process leaves one
        raise
    progress(f"{mid}: added")
    return mid
