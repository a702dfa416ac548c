"""The Behaviors page's view state: the one schema of its query string (every view is a bookmark).

Keys (ARCHITECTURE.md): models, base, comparison, mode, level, class, sort=model:desc,
brush=model:lo:hi;..., page, plus ours: wrong=k (exactly k models wrong), pair=a,b (rows where
two models disagree), flagged=1 (only instances with a review note) and flag=regression,...
(only instances whose latest review status is one of these; the Overview's ``flag=`` spelling).
Model ids inside sort, brush and pair are written with the codec's one escaping scheme, so any
id survives. Values that do not parse are dropped and reported with the codec's notices, never
raised.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from backend.viewstate.codec import (
    SORT_DIRECTIONS,
    bounds,
    decode_ids,
    encode_ids,
    escape,
    first,
    ignored,
    parse_flags,
    parse_sort,
    sort_text,
    unescape,
)
from backend.viewstate.links import detail_models, detail_query

MODES = ("absolute", "relative")
LEVELS = ("class", "instance")
DIRECTIONS = SORT_DIRECTIONS
MAX_PAGE = 10**9
ANY_STATUS = "*"  # the review filter's "flagged only" choice (any status)

Query = Mapping[str, str | list[str]]


@dataclass(frozen=True)
class BehaviorView:
    """Everything that decides what the Behaviors page shows, apart from the data."""

    models: tuple[str, ...]
    base: str | None
    comparison: str | None = None
    mode: str = "absolute"
    level: str = "class"
    class_filter: int | None = None
    sort: tuple[str, str] | None = None
    brushes: tuple[tuple[str, float, float], ...] = ()
    page: int = 0
    wrong: int | None = None
    pair: tuple[str, str] | None = None
    flagged: bool = False  # only instances with a review note in this comparison or globally
    flag: tuple[str, ...] = ()  # ... whose latest status is one of these (implies ``flagged``)

    def __post_init__(self) -> None:
        if self.flag and not self.flagged:  # one spelling of "filtered by status"
            object.__setattr__(self, "flagged", True)

    def with_(self, **changes) -> BehaviorView:
        """A copy with some fields changed (frozen dataclasses need this spelled out)."""
        return replace(self, **changes)

    def brush_map(self) -> dict[str, tuple[float, float]]:
        """model -> (lo, hi), the shape ``backend.behaviors.BehaviorQuery`` takes."""
        return {m: (lo, hi) for m, lo, hi in self.brushes}

    @property
    def filtered(self) -> bool:
        """Whether some filter narrows the rows (the summary then says 'Filtered Dataset')."""
        return bool(self.brushes or self.wrong is not None or self.pair or self.flagged
                    or (self.level == "instance" and self.class_filter is not None))

    def to_query(self) -> str:
        """'?models=..&base=..&…' with only the keys that differ from the defaults."""
        return detail_query(
            self.models, self.base,
            comparison=self.comparison,
            mode=self.mode if self.mode != "absolute" else None,
            level=self.level if self.level != "class" else None,
            **{"class": str(self.class_filter) if self.class_filter is not None else None},
            sort=sort_text(self.sort),
            brush=";".join(f"{escape(m)}:" + ":".join(bounds(lo, hi)) for m, lo, hi in self.brushes) or None,
            page=str(self.page) if self.page else None,
            wrong=str(self.wrong) if self.wrong is not None else None,
            pair=encode_ids(self.pair) if self.pair else None,
            flagged="1" if self.flagged and not self.flag else None,
            flag=encode_ids(self.flag) or None,
        )


def parse(query: Query, known: Mapping | set, *, comparisons: Sequence[str], n_classes: int,
          relative_only: Collection[str] = ()) -> tuple[BehaviorView, list[str]]:
    """The view of a query string as Dash hands it (decoded once), and one notice per dropped part.

    ``known`` holds the experiment's model ids. Without a known model nothing else can be
    interpreted, so only the models' notices are returned (with an empty view).
    ``relative_only`` names the comparisons without raw values: their view is always Relative
    (a URL asking for Absolute gets a notice, never a silent fallback).
    """
    models, base, notices = detail_models(query.get("models"), query.get("base"), known)
    if not models:
        return BehaviorView((), None), notices
    problems: list[str] = []
    q = {k: first(v) for k, v in query.items()}
    comparison = q.get("comparison")
    if comparison is not None and comparison not in comparisons:
        problems.append(f"unknown comparison {comparison!r}; showing {comparisons[0]!r}" if comparisons
                        else f"unknown comparison {comparison!r}")
        comparison = None
    mode = _choice(q.get("mode"), "mode", MODES, problems)
    shown = comparison or (comparisons[0] if comparisons else None)
    if mode == "absolute" and shown in relative_only:
        if q.get("mode") == "absolute":
            problems.append(f"mode='absolute' does not exist for {shown!r} (it has no raw values, "
                            "only the change against the base); showing relative")
        mode = "relative"
    level = _choice(q.get("level"), "level", LEVELS, problems)
    class_filter = _int(q.get("class"), "class", 0, max(n_classes - 1, 0), problems)
    sort = _sort(q.get("sort"), models, problems)
    brushes = _brushes(q.get("brush"), models, problems)
    page = _int(q.get("page"), "page", 0, MAX_PAGE, problems) or 0
    wrong = _int(q.get("wrong"), "wrong", 0, len(models), problems)
    pair = _pair(q.get("pair"), models, problems)
    flagged = _flagged(q.get("flagged"), problems)
    flag = parse_flags(query.get("flag"), problems)
    view = BehaviorView(tuple(models), base, comparison, mode, level, class_filter, sort, brushes, page,
                        wrong, pair, flagged, flag)
    return view, notices + [ignored(p) for p in problems]


def _choice(value: str | None, name: str, allowed: tuple[str, str], problems: list[str]) -> str:
    if not value:
        return allowed[0]
    if value not in allowed:
        problems.append(f"{name}={value!r} is not {allowed[0]} or {allowed[1]}; ignored")
        return allowed[0]
    return value


def _int(value: str | None, name: str, lo: int, hi: int, problems: list[str]) -> int | None:
    if value in (None, ""):
        return None
    try:
        whole = int(value)
    except ValueError:
        problems.append(f"{name}={value!r} is not a whole number; ignored")
        return None
    if not lo <= whole <= hi:
        problems.append(f"{name}={value} is outside {lo}..{hi}; ignored")
        return None
    return whole


def _sort(value: str | None, models: Sequence[str], problems: list[str]) -> tuple[str, str] | None:
    """The sort of the URL, or None with a notice when it names no compared model and direction."""
    sort = parse_sort(value, models)
    if value and sort is None:
        problems.append(f"sort={value!r} names no compared model and direction; ignored")
    return sort


def _brushes(value: str | None, models: Sequence[str],
             problems: list[str]) -> tuple[tuple[str, float, float], ...]:
    """'model:lo:hi;...' split on the raw separators first, then each model token unescaped."""
    brushes: list[tuple[str, float, float]] = []
    for part in (value or "").split(";"):
        if not part:
            continue
        pieces = part.rsplit(":", 2)
        model = unescape(pieces[0]) if len(pieces) == 3 else None
        lo, hi = (_float(pieces[1]), _float(pieces[2])) if len(pieces) == 3 else (None, None)
        if model in models and lo is not None and hi is not None:
            brushes.append((model, min(lo, hi), max(lo, hi)))
        else:
            problems.append(f"brush {part!r} is not model:lo:hi of a compared model; ignored")
    return tuple(brushes)


def _pair(value: str | None, models: Sequence[str], problems: list[str]) -> tuple[str, str] | None:
    if not value:
        return None
    ids = decode_ids(value)
    if len(ids) == 2 and all(i in models for i in ids) and ids[0] != ids[1]:
        return ids[0], ids[1]
    problems.append(f"pair={value!r} is not two different compared models; ignored")
    return None


def _flagged(value: str | None, problems: list[str]) -> bool:
    if value in (None, "", "0"):
        return False
    if value != "1":
        problems.append(f"flagged={value[:80]!r} is not 1; ignored")
        return False
    return True


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def view_to_dict(view: BehaviorView) -> dict:
    """JSON for a dcc.Store (tuples become lists)."""
    return {
        "models": list(view.models), "base": view.base, "comparison": view.comparison, "mode": view.mode,
        "level": view.level, "class_filter": view.class_filter,
        "sort": list(view.sort) if view.sort else None,
        "brushes": [list(b) for b in view.brushes], "page": view.page, "wrong": view.wrong,
        "pair": list(view.pair) if view.pair else None,
        "flagged": view.flagged, "flag": list(view.flag),
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
        bool(data.get("flagged")), tuple(data.get("flag") or ()),
    )


# --- how the page's controls change the view (pure reducers) -------------------------------------
def modes(comparison: str | None, relative_only: Collection[str] = ()) -> tuple[str, ...]:
    """The modes a comparison has: Relative only when it has no raw values (MSE, KL)."""
    return ("relative",) if comparison in relative_only else MODES


def apply_action(view: BehaviorView, action: str | None, value: object = None, *,
                 relative_only: Collection[str] = ()) -> BehaviorView:
    """The view after one control changed; ``components.behaviors.events`` decodes the control.

    Actions and their values: ``level`` (toggle), ``class`` (index or None), ``comparison``,
    ``mode``, ``wrong`` (count or None), ``review`` (None: every row, ``"*"``: flagged only, or
    statuses as ``flag=`` writes them), ``clear``, ``clear_pair``, ``brush`` ((model, (lo, hi)
    or None)), ``drill`` (a clicked class row's index or None) and ``pair`` ((a, b) or None).
    Whatever changes the rows goes back to page 0; an unknown action changes nothing. A
    comparison in ``relative_only`` switches the view to Relative, and Absolute is refused for it.
    """
    if action == "level":
        return view.with_(level="instance" if view.level == "class" else "class", class_filter=None, page=0)
    if action == "class":
        return view.with_(class_filter=value, page=0)
    if action == "comparison" and value in relative_only:
        return view.with_(comparison=value, mode="relative", brushes=(), page=0)
    if action == "mode" and value not in modes(view.comparison, relative_only):
        return view
    if action in ("comparison", "mode"):
        return view.with_(**{action: value}, brushes=(), page=0)
    if action == "wrong":
        return view.with_(wrong=value, page=0)
    if action == "review":
        statuses = () if value in (None, ANY_STATUS) else tuple(decode_ids(value))
        return view.with_(flagged=value is not None, flag=statuses, page=0)
    if action == "clear":
        return view.with_(brushes=(), wrong=None, pair=None, class_filter=None, flagged=False, flag=(),
                          page=0)
    if action == "clear_pair":
        return view.with_(pair=None, page=0)
    if action == "brush":
        model, rng = value
        others = tuple(b for b in view.brushes if b[0] != model)
        return view.with_(brushes=others + (((model, *rng),) if rng else ()), page=0)
    if action == "drill" and value is not None and view.level == "class":
        return view.with_(level="instance", class_filter=value, page=0)
    if action == "pair" and value is not None:
        return view.with_(pair=value, page=0)
    return view


def review_choice(view: BehaviorView) -> str | None:
    """The review filter's value for a view (the inverse of the ``review`` action)."""
    if not view.flagged:
        return None
    return encode_ids(view.flag) if view.flag else ANY_STATUS


# --- what must be redrawn ------------------------------------------------------------------------
ROWS_FIELDS = ("models", "base", "comparison", "mode", "level", "class_filter", "brushes", "wrong", "pair",
               "flagged", "flag")
HEAD_FIELDS = ("models", "base", "comparison", "mode", "level", "class_filter", "wrong", "pair", "flagged",
               "flag")


def view_key(view: BehaviorView, fields: Sequence[str]) -> str:
    """A short hash of some view fields: callbacks re-run only when these change."""
    payload = json.dumps([getattr(view, f) for f in fields], default=list, sort_keys=True)
    return hashlib.sha1(payload.encode()).hexdigest()[:12]


def rows_key(view: BehaviorView) -> str:
    """What the grid's rows depend on (a new key remounts the grid); brushing changes it."""
    return view_key(view, ROWS_FIELDS)


def head_key(view: BehaviorView) -> str:
    """What the histograms depend on: not the brushes, so a drag is never interrupted."""
    return view_key(view, HEAD_FIELDS)


def redraw_keys(view: BehaviorView, old_rows: str | None, old_head: str | None,
                fresh: bool = False) -> tuple[str | None, str | None]:
    """The new rows and head keys, each None when unchanged; ``fresh`` (new data) redraws both."""
    rows, head = rows_key(view), head_key(view)
    if fresh:
        return rows, head
    return (rows if rows != old_rows else None), (head if head != old_head else None)


# --- the grid's position: {"sort", "page", "restore"} ---------------------------------------------
def initial_pos(view: BehaviorView) -> dict:
    """The bookmark's sort and page; ``restore`` until the grid has gone to that page."""
    return {"sort": list(view.sort) if view.sort else None, "page": view.page, "restore": True}


def grid_pos(sort: tuple[str, str] | None, page: int) -> dict:
    """Where the grid is now (the user sorted or paged: nothing left to restore)."""
    return {"sort": list(sort) if sort else None, "page": page, "restore": False}


def pos_sort(pos: Mapping | None) -> tuple[str, str] | None:
    """The sort of a position, as a tuple."""
    return tuple(pos["sort"]) if pos and pos.get("sort") else None


def pending_page(pos: Mapping | None, requested: int) -> int:
    """The bookmark's page to send the grid to when it asks for page 0 first, else 0.

    The infinite grid knows no row count before its first answer, so a bookmark's page is
    restored by answering page 0 and telling the grid to go there.
    """
    if requested != 0 or not pos or not pos.get("restore"):
        return 0
    return int(pos.get("page") or 0)


def with_pos(view: BehaviorView, pos: Mapping | None) -> BehaviorView:
    """The view with the grid's sort and page (what the URL records)."""
    if not pos:
        return view
    return view.with_(sort=pos_sort(pos), page=int(pos.get("page") or 0))
