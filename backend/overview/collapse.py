"""What the map draws of a large forest: collapsed subtrees, automatic collapsing, search.

Drawing 10,000 Cytoscape nodes works but restyling them is slow, so past a threshold the map
shows the top of the forest and collapsed nodes stand for their hidden subtrees; every model
stays reachable (expand, or search, which reveals the path to a model).
"""

from __future__ import annotations

from collections.abc import Iterable

from backend.experiment.forest import ExperimentForest

MAX_DRAWN = 2000


def visible(forest: ExperimentForest, collapsed: Iterable[str]) -> tuple[list[str], dict[str, int]]:
    """Ids drawn (forest order) and, per collapsed drawn node, how many models it hides."""
    collapsed = {c for c in collapsed if c in forest}
    hidden: set[str] = set()
    counts: dict[str, int] = {}
    for mid in forest.ids:
        if mid in hidden or mid not in collapsed:
            continue
        below = forest.descendants(mid)
        if below:
            counts[mid] = len(below)
            hidden.update(below)
    return [m for m in forest.ids if m not in hidden], {m: n for m, n in counts.items() if m not in hidden}


def auto_collapse(forest: ExperimentForest, max_drawn: int = MAX_DRAWN) -> list[str]:
    """Collapse at the deepest level that keeps at most ``max_drawn`` models drawn.

    Levels are added while the cumulative count fits; nodes of the last included level that
    have children are collapsed. An empty list when the whole forest fits.
    """
    if len(forest) <= max_drawn:
        return []
    by_depth: dict[int, list[str]] = {}
    for mid in forest.ids:
        by_depth.setdefault(forest.depth(mid), []).append(mid)
    drawn, level = 0, 0
    for depth in sorted(by_depth):
        if drawn + len(by_depth[depth]) > max_drawn and depth > 0:
            break
        drawn += len(by_depth[depth])
        level = depth
    return [m for m in by_depth[level] if forest.children(m)]


def reveal(forest: ExperimentForest, collapsed: Iterable[str], targets: Iterable[str]) -> list[str]:
    """Collapsed ids minus every ancestor (and the target itself) of the targets."""
    opened: set[str] = set()
    for t in targets:
        if t in forest:
            opened.update(forest.path(t))
    return [c for c in collapsed if c not in opened]


def search(forest: ExperimentForest, text: str, limit: int = 20) -> list[str]:
    """Ids whose id or tag contains ``text`` (case-insensitive); exact id first."""
    needle = text.strip().lower()
    if not needle:
        return []
    hits = [m.id for m in forest if needle in m.id.lower() or (m.tag and needle in m.tag.lower())]
    hits.sort(key=lambda i: (i.lower() != needle, len(i)))
    return hits[:limit]


def edge_deltas(forest: ExperimentForest, child: str) -> list[dict]:
    """What the operation into ``child`` did to each primary metric, vs parent and vs root."""
    model = forest[child]
    parent = forest[model.base] if model.base else None
    root = forest[forest.root_of(child)]
    rows = []
    for spec in forest.primary_metrics:
        value = model.metrics.get(spec.name)
        if value is None:
            continue
        row = {"metric": spec.name, "value": value}
        for label, other in (("parent", parent), ("root", root)):
            ref = other.metrics.get(spec.name) if other is not None else None
            row[f"{label}_abs"] = None if ref is None else value - ref
            row[f"{label}_rel"] = None if ref in (None, 0) else (value - ref) / abs(ref)
        rows.append(row)
    return rows


def compare_base(forest: ExperimentForest, selection: list[str]) -> str | None:
    """The selected model closest to a root; ties go to the later one (the reference's rule)."""
    best: str | None = None
    for mid in selection:
        if mid in forest and (best is None or forest.depth(mid) <= forest.depth(best)):
            best = mid
    return best
