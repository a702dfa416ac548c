"""The Compare tab's computation (spec §1.7–1.8): the comparability engine for a selection.

Why here: the tab's callbacks (render, Update Selection, Download CSV) all need the same raw
table, refinement and simplification; the builders in ``components.overview.compare_tab`` only
turn a :class:`Comparison` into components.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from backend.comparability import ComparisonTable, experiment_table, refine, simplify_table
from backend.experiment.forest import ExperimentForest
from backend.viewstate.links import MAX_MODELS
from backend.viewstate.refine import decode_refinement, resolve

COMPARE_RANGE = (2, MAX_MODELS)  # at least two models; the reference's MaxModelTableSize


@dataclass(frozen=True)
class Comparison:
    """The engine's output for one selection and refinement (``raw`` is None outside 2–16)."""

    selection: list[str]
    raw: ComparisonTable | None = None
    allowed: dict[int, list[Any]] = field(default_factory=dict)
    refined: ComparisonTable | None = None
    simplified: ComparisonTable | None = None

    @property
    def in_range(self) -> bool:
        """Whether the selection size allows a comparison at all."""
        return self.raw is not None

    @property
    def has_menu(self) -> bool:
        """The refinement menu is offered when the raw table has more than two variables."""
        return self.raw is not None and self.raw.needs_refinement

    @property
    def too_few(self) -> bool:
        """The refinement left fewer than two models."""
        return self.refined is not None and len(self.refined.rows) < 2

    @property
    def chartable(self) -> bool:
        """One or two variables after simplification, over at least two models."""
        s = self.simplified
        return s is not None and not self.too_few and 1 <= len(s.variables) <= 2

    @property
    def refined_ids(self) -> list[str]:
        """The refined models in selection order (what "Update Selection" selects)."""
        keep = set(self.refined.ids) if self.refined is not None else set()
        return [i for i in self.selection if i in keep]


@lru_cache(maxsize=4)
def _records(forest: ExperimentForest) -> tuple[dict, ...]:
    """The engine's input, built once per (immutable) forest rather than per request."""
    return tuple(forest.records())


def compute(forest: ExperimentForest, selection: Sequence[str], refinement: str | None) -> Comparison:
    """Raw table, refinement, re-run and simplification (spec §3.5, §1.8) for the Compare tab."""
    chosen = list(dict.fromkeys(i for i in selection or [] if i in forest))
    lo, hi = COMPARE_RANGE
    if not lo <= len(chosen) <= hi:
        return Comparison(chosen)
    records = _records(forest)
    raw = experiment_table(records, chosen)
    allowed = resolve(raw, decode_refinement(refinement)) if raw.needs_refinement else {}
    refined = refine(records, raw, allowed) if allowed else raw
    return Comparison(chosen, raw, allowed, refined, simplify_table(refined))
