"""Which modules the Layers page shows: the filter pattern, sorting, paging and the heatmap rows.

Why its own module: what is visible is a pure function of a ``LayerSummary`` and the URL's
view (pattern, sort, expanded nodes, page, clicked module); the page only draws the result,
so filtering and sorting are tested here without Dash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from backend.infra.safe_regex import PatternError, compile_pattern, match_mask
from backend.layers.module_tree import Page, filtered_tops, page_rows, sort_nodes
from backend.layers.summary import LayerSummary

HEATMAP_ROWS = 300  # a heatmap taller than this is unreadable (and slow): filter to narrow


def pattern_message(text: str | None) -> str:
    """'' for a usable filter pattern, else the one line the page shows under the box."""
    try:
        compile_pattern(text)
        return ""
    except PatternError as exc:
        return str(exc)


def match_modules(summary: LayerSummary, text: str | None) -> tuple[list[bool] | None, str]:
    """(which nodes the pattern finds, or None for no filter; the pattern's problem or '')."""
    try:
        pattern = compile_pattern(text)
        return (match_mask(pattern, summary.tree.names) if pattern is not None else None), ""
    except PatternError as exc:
        return None, str(exc)


def tree_page(summary: LayerSummary, tensor: str, mask: list[bool] | None, sort: tuple[str, str] | None,
              opened: Sequence[str], page: int) -> Page:
    """The rows of one page of the tree browser (spec §1.10).

    Sorted: every rankable (or matching) node becomes a flat top-level row, by the model's change.
    Filtered: matching nodes whose ancestors do not match. Otherwise: the roots. Expanded nodes
    show their children below them.
    """
    tree = summary.tree
    if sort is not None:
        keys = summary.change(sort[0], tensor)
        pool = mask if mask is not None else summary.rankable
        tops = sort_nodes([i for i in range(len(tree)) if pool[i]], keys, sort[1] == "desc")
    elif mask is not None:
        tops = filtered_tops(tree, mask)
    else:
        tops = tree.roots
    expanded = {tree.index[n] for n in opened if n in tree.index}
    return page_rows(tree, tops, expanded, page)


@dataclass(frozen=True)
class HeatmapData:
    """What the heatmap and its side panel draw: modules × models (not the base), and one module's
    value distributions when it was clicked and has data."""

    modules: list[str]
    models: list[str]  # the compared models except the base
    values: np.ndarray  # (len(modules), len(models)) change, NaN where undefined
    total: int  # matching modules before the HEATMAP_ROWS cut
    module: str | None  # the clicked module
    edges: np.ndarray | None  # its distributions: shared bin edges ...
    fractions: dict[str, np.ndarray] | None  # ... and each model's share of values per bin


def heatmap_data(summary: LayerSummary, tensor: str, mask: list[bool] | None, module: str | None,
                 limit: int = HEATMAP_ROWS) -> HeatmapData:
    """The first ``limit`` rankable (matching) modules and, for the clicked module, its distributions."""
    tree = summary.tree
    rows = [i for i in range(len(tree)) if summary.rankable[i] and (mask is None or mask[i])]
    total = len(rows)
    rows = rows[:limit]
    others = [m for m in summary.models if m != summary.base]
    if not others:  # nothing to compare with: the page says so instead
        return HeatmapData([], [], np.zeros((0, 0)), total, module, None, None)
    values = summary.heatmap(tensor, rows)
    edges = fractions = None
    node = tree.index.get(module) if module is not None else None
    if node is not None and (summary.source == "parameters" or summary.has_data[node]):
        edges, fractions = summary.distributions(node)
    return HeatmapData([tree.names[i] for i in rows], others, values, total, module, edges, fractions)
