"""Default visual encodings from the primary metrics (the reference's assignPreliminaryMetrics)."""

from __future__ import annotations

import re

_RULES = {
    "x": re.compile(r"\blatency\b|\bsparsity\b", re.IGNORECASE),
    "y": re.compile(r"\baccuracy\b|\bf1", re.IGNORECASE),
    "color": re.compile(r"\baccuracy\b|\bf1", re.IGNORECASE),
    "size": re.compile(r"\bsize|\bspars", re.IGNORECASE),
}


def default_encodings(primary: list[str]) -> dict[str, str | None]:
    """x, y, colour and size metric names: regex matches first, then unused primary metrics.

    Slots are filled in order x, y, colour, size; colour may repeat y (as in the reference).
    """
    out: dict[str, str | None] = {}
    for slot, rule in _RULES.items():
        out[slot] = next((m for m in primary if rule.search(m)), None)
    for slot in _RULES:
        if out[slot] is None:
            used = set(out.values())
            out[slot] = next((m for m in primary if m not in used), None)
    return out
