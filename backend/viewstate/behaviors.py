"""The Behaviors page's view state <-> its query string (every view is a bookmark).

Keys (ARCHITECTURE.md): models, base, comparison, mode, level, class, sort=model:desc,
brush=model:lo:hi;..., page, plus ours: wrong=k (exactly k models wrong) and pair=a,b (rows where
two models disagree). Values that do not parse are dropped and reported, never raised.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

from backend.viewstate.codec import build_query, decode_ids, encode_ids, first

MODES = ("absolute", "relative")
LEVELS = ("class", "instance")
DIRECTIONS = ("desc", "asc")
MAX_PAGE = 10**9


def _escape(model: str) -> str:
    """Escape the separators of brush and sort values inside a model id."""
    return model.replace("%", "%25").replace(";", "%3B").replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True)
class BehaviorView:
    """Everything that decides what the Behaviors page shows, apart from the data."""

    models: tuple[str, ...]
    base: str
    comparison: str | None = None
    mode: str = "absolute"
    level: str = "class"
    class_filter: int | None = None
    sort: tuple[str, str] | None = None
    brushes: tuple[tuple[str, float, float], ...] = ()
    page: int = 0
    wrong: int | None = None
    pair: tuple[str, str] | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)

    def with_(self, **changes) -> BehaviorView:
        """A copy with some fields changed (frozen dataclasses need this spelled out)."""
        return replace(self, **changes)

    def brush_map(self) -> dict[str, tuple[float, float]]:
        """model -> (lo, hi), the shape ``backend.behaviors.BehaviorQuery`` takes."""
        return {m: (lo, hi) for m, lo, hi in self.brushes}

    def query_string(self) -> str:
        """'?models=..&base=..&…' with only the keys that differ from the defaults."""
        return build_query({
            "models": encode_ids(self.models),
            "base": self.base,
            "comparison": self.comparison,
            "mode": self.mode if self.mode != "absolute" else None,
            "level": self.level if self.level != "class" else None,
            "class": str(self.class_filter) if self.class_filter is not None else None,
            "sort": f"{_escape(self.sort[0])}:{self.sort[1]}" if self.sort else None,
            "brush": ";".join(f"{_escape(m)}:{lo:.6g}:{hi:.6g}" for m, lo, hi in self.brushes) or None,
            "page": str(self.page) if self.page else None,
            "wrong": str(self.wrong) if self.wrong is not None else None,
            "pair": encode_ids(self.pair) if self.pair else None,
        })


def _int(value: str | None, name: str, lo: int, hi: int, problems: list[str]) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        problems.append(f"{name}={value!r} is not a whole number; ignored")
        return None
    if not lo <= number <= hi:
        problems.append(f"{name}={value} is outside {lo}..{hi}; ignored")
        return None
    return number


def parse_view(query: Mapping[str, str | list[str]], models: Sequence[str], base: str,
               comparisons: Sequence[str], n_classes: int) -> BehaviorView:
    """The view of a query string; models and base were already validated by the caller."""
    problems: list[str] = []
    q = {k: first(v) for k, v in query.items()}
    comparison = q.get("comparison")
    if comparison is not None and comparison not in comparisons:
        problems.append(f"unknown comparison {comparison!r}; showing {comparisons[0]!r}" if comparisons
                        else f"unknown comparison {comparison!r}")
        comparison = None
    mode = q.get("mode") or "absolute"
    if mode not in MODES:
        problems.append(f"mode={mode!r} is not absolute or relative; ignored")
        mode = "absolute"
    level = q.get("level") or "class"
    if level not in LEVELS:
        problems.append(f"level={level!r} is not class or instance; ignored")
        level = "class"
    class_filter = _int(q.get("class"), "class", 0, max(n_classes - 1, 0), problems)
    sort = None
    if q.get("sort"):
        model, _, direction = q["sort"].rpartition(":")
        model = unquote(model)
        if model in models and direction in DIRECTIONS:
            sort = (model, direction)
        else:
            problems.append(f"sort={q['sort']!r} names no compared model and direction; ignored")
    brushes = []
    for part in (q.get("brush") or "").split(";"):
        if not part:
            continue
        model, lo, hi = _split_brush(part)
        if model in models and lo is not None and hi is not None:
            brushes.append((model, min(lo, hi), max(lo, hi)))
        else:
            problems.append(f"brush {part!r} is not model:lo:hi of a compared model; ignored")
    page = _int(q.get("page"), "page", 0, MAX_PAGE, problems) or 0
    wrong = _int(q.get("wrong"), "wrong", 0, len(models), problems)
    pair = None
    if q.get("pair"):
        ids = decode_ids(q["pair"])
        if len(ids) == 2 and all(i in models for i in ids) and ids[0] != ids[1]:
            pair = (ids[0], ids[1])
        else:
            problems.append(f"pair={q['pair']!r} is not two different compared models; ignored")
    return BehaviorView(tuple(models), base, comparison, mode, level, class_filter, sort, tuple(brushes),
                        page, wrong, pair, tuple(problems))


def _split_brush(part: str) -> tuple[str, float | None, float | None]:
    pieces = part.rsplit(":", 2)
    if len(pieces) != 3:
        return "", None, None
    model, lo, hi = unquote(pieces[0]), _float(pieces[1]), _float(pieces[2])
    return model, lo, hi


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def view_to_dict(view: BehaviorView) -> dict:
    """JSON for a dcc.Store (tuples become lists; problems are shown once, not stored)."""
    return {
        "models": list(view.models), "base": view.base, "comparison": view.comparison, "mode": view.mode,
        "level": view.level, "class_filter": view.class_filter,
        "sort": list(view.sort) if view.sort else None,
        "brushes": [list(b) for b in view.brushes], "page": view.page, "wrong": view.wrong,
        "pair": list(view.pair) if view.pair else None,
    }


def view_from_dict(data: Mapping) -> BehaviorView:
    """Inverse of ``view_to_dict``."""
    return BehaviorView(
        tuple(data["models"]), data["base"], data.get("comparison"), data.get("mode", "absolute"),
        data.get("level", "class"), data.get("class_filter"),
        tuple(data["sort"]) if data.get("sort") else None,
        tuple((m, float(lo), float(hi)) for m, lo, hi in data.get("brushes") or []),
        int(data.get("page") or 0), data.get("wrong"),
        tuple(data["pair"]) if data.get("pair") else None,
    )
