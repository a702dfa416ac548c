"""What the Model Map draws: the grid layout of the visible part of the forest, memoised.

Why memoised: a colour or size change must not re-run the layout (hundreds of ms at 10,000
models); the layout depends only on the immutable forest, the arrangement and the collapsed set,
so one answer serves every user (the isolation audit allows this cache).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from backend.experiment.forest import ExperimentForest
from backend.overview.collapse import visible
from backend.overview.map_layout import MapLayout
from backend.overview.map_layout import layout as compute_layout
from backend.overview.time_layout import time_layout

# the URL's arrange= -> map_layout's mode ("time": time_layout's timeline)
LAYOUT_MODES = {"op": "operation", "step": "step", "time": "time"}


@lru_cache(maxsize=32)
def _layout(forest: ExperimentForest, arrange: str, collapsed: tuple[str, ...]) -> tuple[MapLayout, dict]:
    shown, counts = visible(forest, collapsed)
    keep = set(shown)
    records = [r for r in forest.records() if r["id"] in keep]
    if arrange == "time":
        return time_layout(records, {mid: forest[mid].created for mid in keep}), counts
    return compute_layout(records, mode=LAYOUT_MODES.get(arrange, "operation")), counts


def drawn_layout(
    forest: ExperimentForest, arrange: str, collapsed: Iterable[str]
) -> tuple[MapLayout, dict[str, int]]:
    """Grid positions and columns of the drawn models, and how many each collapsed node hides."""
    return _layout(forest, arrange, tuple(sorted(collapsed)))
