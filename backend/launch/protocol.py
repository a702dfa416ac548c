"""The launcher plug-in API: which operations a user may start from the map, and running one.

Why a schema: the browser form and the server-side check are built from the same declaration,
so a value the form would not offer (out of range, not a choice) is refused in one line before
any computation starts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.experiment.forest import Model

Scalar = str | int | float | bool


@dataclass(frozen=True)
class NumberParam:
    """A number in ``[min, max]``; ``integer`` refuses fractions."""

    name: str
    min: float
    max: float
    integer: bool = False
    default: float | None = None
    description: str = ""


@dataclass(frozen=True)
class ChoiceParam:
    """One of a fixed set of values."""

    name: str
    choices: tuple[Scalar, ...]
    default: Scalar | None = None
    description: str = ""


Param = NumberParam | ChoiceParam


@dataclass(frozen=True)
class OperationSchema:
    """An operation the launcher runs, and the parameters it accepts (all required)."""

    name: str
    parameters: tuple[Param, ...] = ()
    description: str = ""

    def parameter(self, name: str) -> Param | None:
        """The declared parameter of this name, or None."""
        return next((p for p in self.parameters if p.name == name), None)


@dataclass(frozen=True)
class Produced:
    """What one run made: the checkpoint is written; these are its measured metrics."""

    metrics: Mapping[str, float | None]
    tag: str | None = None
    # the parameters as recorded in the models file (default: those the run was given)
    recorded: Mapping[str, Scalar] | None = None


Progress = Callable[[str], None]


class Launcher(ABC):
    """Subclass, name it in the config's ``launch:`` section, and the Overview offers its operations."""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options = dict(options or {})

    @abstractmethod
    def operations(self) -> list[OperationSchema]:
        """The operations offered in "New experiment…"."""

    @abstractmethod
    def run(self, base: Model, operation: str, parameters: Mapping[str, Scalar],
            checkpoint: Path, progress: Progress) -> Produced:
        """Derive a model from ``base`` (its ``checkpoint`` is absolute), write it to ``checkpoint``
        (atomically: a temporary file, then a rename) and measure its metrics."""

    def model_id(self, base: str, operation: str, parameters: Mapping[str, Scalar]) -> str:
        """A readable id for the new model (made unique by the caller)."""
        words = "".join(w[0] for w in operation.split() if w[:1].isalnum()) or "op"
        values = "-".join(_short(v) for v in parameters.values())
        return f"{base}-{words}{'-' + values if values else ''}"


def _short(value: Scalar) -> str:
    if isinstance(value, float) and 0 < value < 1:
        return f"{round(value * 100)}"
    return str(value).replace(" ", "")


__all__ = ["ChoiceParam", "Launcher", "NumberParam", "OperationSchema", "Param", "Produced",
           "Progress", "Scalar"]
