"""Which view action a Behaviors control fired, decoded from its Dash event payload.

Why here: the payloads are the inverse of what this package's builders wrote (the dropdowns'
-1 for "All", a histogram's selection range, a class row's item, the flip matrix's customdata),
so reading them back belongs next to the builders; ``backend.viewstate.behaviors.apply_action``
then applies the plain (action, value) without knowing any component.
"""

from __future__ import annotations

from components.shared import ids

ANY = -1  # the "All" / "Any" choice of the class and errors dropdowns

_SIMPLE = {ids.BH_LEVEL: "level", ids.BH_COMPARISON: "comparison", ids.BH_MODE: "mode",
           ids.BH_CLEAR: "clear", ids.BH_PAIR_CLEAR: "clear_pair"}


def _choice(value: object) -> int | None:
    """A dropdown's value, None for its "All"/"Any" choice."""
    return None if value in (None, ANY) else int(value)


def brush_range(selected: object) -> tuple[float, float] | None:
    """(lo, hi) of a histogram's box selection; None when it was cleared (a double-click)."""
    rng = (selected or {}).get("range", {}).get("x") if isinstance(selected, dict) else None
    if not rng:
        return None
    lo, hi = sorted(float(x) for x in rng[:2])
    return lo, hi


def clicked_class(cell: object) -> int | None:
    """The class index of a clicked class row's item cell, None for any other cell."""
    item = (cell or {}).get("value") if isinstance(cell, dict) else None
    if isinstance(item, dict) and item.get("kind") == "class":
        return int(item["cls"])
    return None


def clicked_pair(click: object) -> tuple[str, str] | None:
    """The two models of a clicked flip-matrix cell, None on its diagonal."""
    point = ((click or {}).get("points") or [{}])[0] if isinstance(click, dict) else {}
    pair = point.get("customdata")
    if pair and len(pair) == 2 and pair[0] != pair[1]:
        return pair[0], pair[1]
    return None


def action_of(trigger: object, value: object) -> tuple[str | None, object]:
    """(action, value) for ``apply_action`` from Dash's triggered id and value."""
    if isinstance(trigger, dict):
        if trigger.get("type") == ids.BH_HIST:
            return "brush", (trigger["model"], brush_range(value))
        if trigger.get("type") == ids.BH_GRID:
            return "drill", clicked_class(value)
        return None, None
    if trigger in (ids.BH_CLASS, ids.BH_WRONG):
        return ("class" if trigger == ids.BH_CLASS else "wrong"), _choice(value)
    if trigger == ids.BH_REVIEW:
        return "review", value or None
    if trigger == ids.BH_FLIPS:
        return "pair", clicked_pair(value)
    return _SIMPLE.get(trigger), value
