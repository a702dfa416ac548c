"""What one user action does to the Overview's state: pure reducers, testable without a browser.

Why here: the page's callbacks only translate a Dash trigger into an action name (the constants
below) and call one of these; every rule about what changes lives in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from backend.experiment.forest import ExperimentForest
from backend.overview.collapse import reveal
from backend.overview.filters import within_domain

# Selection events.
MAP, SCATTER, EXPAND = "map", "scatter", "expand"
# Collapse actions.
COLLAPSE, EXPAND_ALL, REVEAL = "collapse", "expand-all", "reveal"
# Filter-row actions.
ADD, CLEAR, REMOVE, UNBRUSH, METRIC, BRUSH = "add", "clear", "remove", "unbrush", "metric", "brush"
# Budget-row actions (ADD and REMOVE as above).
EDIT = "edit"


def next_selection(forest: ExperimentForest, event: str, current: Sequence[str], payload: Any) -> list[str]:
    """The selection after an event of the map, the scatterplot or an expansion button.

    ``payload``: the map's selected node data, the scatterplot's ``selectedData``, or how to
    expand ("parents", "children", "ancestors", "descendants").
    """
    current = list(current)
    if event == EXPAND:
        return forest.expand(current, payload)
    if event == MAP:
        chosen = [n["id"] for n in payload or [] if n.get("id") in forest]
        # the map reports its own selection; keep the current order for ids already selected
        keep = [i for i in current if i in set(chosen)]
        return keep + [i for i in chosen if i not in set(keep)]
    if event == SCATTER:
        points = (payload or {}).get("points", [])
        return list(dict.fromkeys(p["customdata"] for p in points if p.get("customdata") in forest))
    return current


def is_scatter_selection(payload: Any) -> bool:
    """Whether the scatterplot's ``selectedData`` is a user's box, lasso or click.

    Plotly also reports a selection with no points and no box when its own box outline or
    selected points are cleared (assets/cc_clientside.js ``clearScatterBox`` does that after a
    selection changes); that one must not clear the selection.
    A box or lasso over empty space still counts: it carries its ``range`` or ``lassoPoints``.
    """
    if not isinstance(payload, dict):
        return False
    return bool(payload.get("points") or payload.get("range") or payload.get("lassoPoints"))


def kept_selection(selection: Sequence[str], passing: Iterable[str] | None) -> list[str]:
    """The selection intersected with the models passing the filters (all pass when None)."""
    if passing is None:
        return list(selection)
    keep = set(passing)
    return [i for i in selection if i in keep]


def next_collapsed(
    forest: ExperimentForest, collapsed: Sequence[str], selection: Sequence[str], action: str,
    target: str | None = None,
) -> list[str]:
    """Collapse the selected subtrees, expand everything, or reveal the path to ``target``."""
    if action == EXPAND_ALL:
        return []
    if action == REVEAL:
        return reveal(forest, collapsed, [target] if target else [])
    return list(dict.fromkeys([*collapsed, *(s for s in selection if forest.children(s))]))


def next_rows(
    forest: ExperimentForest, rows: Sequence[dict], action: str, index: int | None = None, value: Any = None
) -> list[dict]:
    """The filter rows after one action; a brush past the axis ends stops at the data's ends.

    ``value``: the row's new metric (METRIC) or its histogram's ``selectedData`` (BRUSH).
    """
    rows = [dict(r) for r in rows]
    names = [m.name for m in forest.metrics]
    if action == ADD:
        unused = [n for n in names if n not in {r["metric"] for r in rows}]
        rows += [{"metric": unused[0], "lo": None, "hi": None}] if unused else []
    elif action == CLEAR:
        rows = [{**r, "lo": None, "hi": None} for r in rows]
    elif index is not None and 0 <= index < len(rows):
        if action == REMOVE:
            rows = rows[:index] + rows[index + 1:]
        elif action == UNBRUSH:
            rows[index].update(lo=None, hi=None)
        elif action == METRIC and value and value != rows[index]["metric"]:
            rows[index] = {"metric": value, "lo": None, "hi": None}  # a new metric clears the brush
        elif action == BRUSH and value and value.get("range"):
            lo, hi = sorted(value["range"]["x"][:2])
            rows[index].update(lo=float(lo), hi=float(hi))
    for row in rows:
        if row.get("lo") is not None:
            row["lo"], row["hi"] = within_domain(forest, row["metric"], row["lo"], row["hi"])
    return rows


def next_budgets(
    budgets: Sequence[dict], action: str, names: Sequence[str], index: int | None = None,
    field: str | None = None, value: Any = None,
) -> list[dict]:
    """Budget rows after one action: add (the first metric not yet budgeted), remove, or edit a field."""
    budgets = [dict(b) for b in budgets]
    if action == ADD:
        unused = [n for n in names if n not in {b["metric"] for b in budgets}] or list(names)
        return budgets + [{"metric": unused[0], "op": "<=", "value": None}]
    if index is not None and 0 <= index < len(budgets):
        if action == REMOVE:
            return budgets[:index] + budgets[index + 1:]
        if action == EDIT and field:
            budgets[index][field] = value
    return budgets


def next_pareto(pareto: dict | None, field: str, value: Any) -> dict:
    """The Pareto controls after one edit: an objective, or the direction and show checkboxes."""
    new = dict(pareto or {})
    if field == "flags":
        new.update({f: f in (value or []) for f in ("max_a", "max_b", "show")})
    elif value:
        new[field] = value
    return new


def clicked_model(forest: ExperimentForest, events: Iterable[dict]) -> str | None:
    """The model of the first clicked bar among the triggered charts' ``clickData``."""
    for event in events:
        points = (event.get("value") or {}).get("points") or []
        if points and points[0].get("customdata") in forest:
            return points[0]["customdata"]
    return None
