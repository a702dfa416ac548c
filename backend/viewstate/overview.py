"""The Overview's view state: everything its query string holds, as one frozen value.

Keys (unchanged, so every old bookmark opens the same view):

* ``sel=a,b``: the selected model ids;
* ``color``, ``size``, ``x``, ``y``: metric names, ``none`` for no metric; absent (or unknown):
  the default encodings of the primary metrics;
* ``arrange=step|time`` (absent: by operation), ``tab=filter|pareto`` (absent: compare);
* ``filter=metric:lo:hi;...``: brushed ranges (inclusive);
* ``budget=metric<=value;...``: one-sided budgets (``<=`` or ``>=``);
* ``pareto=A:max,B:min``: the objectives of a shown Pareto front (absent: hidden);
* ``refine=...``: the Compare tab's refinement (``backend.viewstate.refine``), verbatim;
* ``derived=name:expression;...``: derived metrics defined on the page (``backend.experiment.
  derived``), each usable by the keys above; absent when there are none;
* ``flag=regression,needs review``: review statuses (``backend.annotations``); without ``sel=``
  the page selects the models whose latest note has one of them (the page then writes ``sel=``).

Why one module: the page's layout reads this, the URL writer writes it, and a bookmark must
restore exactly what was written. Metric names inside filter, budget and pareto are codec
tokens (``codec.escape``), so any name survives; numbers are written with ``codec.number``.
Parsing never raises: each part it has to drop becomes one ``codec.ignored`` notice. The
metrics a view may name are those of ``derived_forest(forest, view.derived)``, the forest the
page draws.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from backend.experiment.forest import ExperimentForest, higher_is_better
from backend.overview.encodings import default_encodings
from backend.overview.filters import Budget, RangeFilter, within_domain
from backend.overview.pareto import Objectives, directions
from backend.viewstate.codec import (
    bounds,
    build_query,
    decode_ids,
    encode_ids,
    escape,
    first,
    ignored,
    known_ids,
    number,
    parse_flags,
    unescape,
    unknown_ids,
)
from backend.viewstate.derived import NO_METRIC, Derived, derived_forest, parse_derived, store_derived
from backend.viewstate.refine import malformed_parts

ARRANGEMENTS = ("op", "step", "time")  # by operation (the default), by step, by creation time
TABS = ("compare", "filter", "pareto")  # the bottom-right card's panes; compare is the default
OPS = ("<=", ">=")
# A whole part (fullmatch); a name may hold any character. The pad starts only after a non-blank
# (or is empty), so a long run of blanks is scanned once, not once per position (quadratic).
_BUDGET = re.compile(r"(?P<metric>.+?)(?P<pad>(?:(?<!\s)\s*)?)(?P<op><=|>=|≤|≥)"
                     r"\s*(?P<value>[-+0-9.eE]+|inf|-inf)", re.DOTALL)
_DIRECTIONS = (":max", ":min")

Query = Mapping[str, str | list[str]]


def finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number (or the text of one), else None.

    The one finiteness check: budget values from the URL and every bound and budget value of
    the page's stores pass it, so no NaN or infinite value reaches a store, a mask or the URL
    writer. The only infinite numbers a view holds are a URL filter's open ends (``m:0.5:inf``,
    a bookmark's contract), closed at the metric's domain in :meth:`OverviewView.filter_rows`.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


@dataclass(frozen=True)
class OverviewView:
    """What the Overview's URL says: selection, encodings, arrangement, tab, filters, front."""

    selection: tuple[str, ...] = ()
    color: str | None = None
    size: str | None = None
    x: str | None = None
    y: str | None = None
    arrange: str = "op"
    tab: str = "compare"
    filters: tuple[RangeFilter, ...] = ()
    budgets: tuple[Budget, ...] = ()
    pareto: Objectives | None = None  # None: the front is hidden
    refine: str = ""
    derived: Derived = ()
    flag: tuple[str, ...] = ()  # review statuses whose models the page selects

    def with_(self, **changes: Any) -> OverviewView:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_query(self) -> str:
        """'?sel=..&color=..&…' in the order and spelling bookmarks have always had."""
        return build_query(
            {
                "sel": encode_ids(self.selection),
                "color": self.color or NO_METRIC,
                "size": self.size or NO_METRIC,
                "x": self.x or NO_METRIC,
                "y": self.y or NO_METRIC,
                "arrange": None if self.arrange == "op" else self.arrange,
                "tab": None if self.tab == "compare" else self.tab,
                "filter": ";".join(f"{escape(f.metric)}:" + ":".join(bounds(f.lo, f.hi))
                                   for f in self.filters),
                "budget": ";".join(f"{escape(b.metric)}{b.op}{number(b.value)}" for b in self.budgets),
                "pareto": _encode_pareto(self.pareto),
                "refine": self.refine or None,
                "derived": ";".join(f"{escape(n)}:{escape(e)}" for n, e in self.derived) or None,
                "flag": encode_ids(self.flag) or None,
            }
        )

    def dropping(self, metrics: set[str]) -> OverviewView:
        """The view without these metrics: their slots cleared, filters, budgets and a front on them gone."""
        def keep(slot: str | None) -> str | None:
            return None if slot in metrics else slot

        front = self.pareto
        if front is not None and (front.a in metrics or front.b in metrics):
            front = None
        return replace(self, color=keep(self.color), size=keep(self.size), x=keep(self.x), y=keep(self.y),
                       filters=tuple(f for f in self.filters if f.metric not in metrics),
                       budgets=tuple(b for b in self.budgets if b.metric not in metrics), pareto=front)

    # --- the page's stores -------------------------------------------------------------------
    def filter_rows(self, forest: ExperimentForest) -> list[dict]:
        """The Filter tab's rows; one unbrushed row of the first metric when nothing is brushed."""
        rows = []
        for f in self.filters:  # an open end stops at the domain's end (a store cannot hold inf)
            lo, hi = within_domain(forest, f.metric, f.lo, f.hi)
            rows.append({"metric": f.metric, "lo": _or(finite(f.lo), lo), "hi": _or(finite(f.hi), hi)})
        if not rows and forest.metrics:
            rows = [{"metric": forest.metrics[0].name, "lo": None, "hi": None}]
        return rows

    def budget_rows(self) -> list[dict]:
        """The budget rows of the Pareto tab."""
        return [{"metric": b.metric, "op": b.op, "value": b.value} for b in self.budgets]

    def pareto_settings(self, forest: ExperimentForest) -> dict:
        """The Pareto controls: the shown front, or hidden defaults (the default scatter axes)."""
        if self.pareto is not None:
            p = self.pareto
            return {"a": p.a, "b": p.b, "max_a": p.max_a, "max_b": p.max_b, "show": True}
        enc = default_encodings([m.name for m in forest.primary_metrics])
        a, b = enc["x"], enc["y"]
        max_a, max_b = directions(forest, a, b) if a and b else (True, True)
        return {"a": a, "b": b, "max_a": max_a, "max_b": max_b, "show": False}

    @classmethod
    def from_stores(
        cls,
        selection: Sequence[str] | None,
        color: str | None,
        size: str | None,
        x: str | None,
        y: str | None,
        arrange: str | None,
        tab: str | None,
        rows: Sequence[dict] | None,
        budgets: Sequence[dict] | None,
        pareto: dict | None,
        refine: str | None,
        derived: Sequence | None = None,
    ) -> OverviewView:
        """The view the page's controls and stores show (what the URL writer writes)."""
        return cls(
            selection=tuple(selection or ()),
            color=color or None,
            size=size or None,
            x=x or None,
            y=y or None,
            arrange=arrange if arrange in ARRANGEMENTS else "op",
            tab=tab if tab in TABS else "compare",
            filters=store_filters(rows),
            budgets=store_budgets(budgets),
            pareto=shown_front(pareto),
            refine=refine or "",
            derived=store_derived(derived),
        )


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


# --- the stores' rows as values ---------------------------------------------------------------
def store_filters(rows: Sequence[dict] | None) -> tuple[RangeFilter, ...]:
    """The brushed filter rows (unbrushed rows filter nothing)."""
    out = []
    for row in rows or ():
        if not isinstance(row, dict) or not isinstance(row.get("metric"), str):
            continue  # a hand-made request's store: a row must name a metric
        lo, hi = finite(row.get("lo")), finite(row.get("hi"))
        if row.get("metric") and lo is not None and hi is not None:
            out.append(RangeFilter(row["metric"], lo, hi))
    return tuple(out)


def store_budgets(budgets: Sequence[dict] | None) -> tuple[Budget, ...]:
    """The complete budget rows (a metric and a finite value)."""
    out = []
    for row in budgets or ():
        if not isinstance(row, dict) or not isinstance(row.get("metric"), str):
            continue
        value = finite(row.get("value"))
        if row.get("metric") and value is not None:
            op = row.get("op") if row.get("op") in OPS else "<="
            out.append(Budget(row["metric"], op, value))
    return tuple(out)


def shown_front(pareto: dict | None) -> Objectives | None:
    """The Pareto controls' objectives when the front is shown, else None."""
    if not pareto or not pareto.get("show") or not pareto.get("a") or not pareto.get("b"):
        return None
    return Objectives(pareto["a"], pareto["b"], bool(pareto.get("max_a")), bool(pareto.get("max_b")))


# --- parsing ----------------------------------------------------------------------------------
def parse(query: Query, forest: ExperimentForest) -> tuple[OverviewView, list[str]]:
    """The view of a query string as Dash hands it (decoded once), and one notice per dropped part."""
    q = {k: first(v) for k, v in query.items()}
    problems: list[str] = []
    enc = default_encodings([m.name for m in forest.primary_metrics])  # a page metric changes no default
    derived = parse_derived(q.get("derived"), forest, problems)
    forest = derived_forest(forest, derived)
    names = [m.name for m in forest.metrics]
    selection, unknown = known_ids(decode_ids(query.get("sel")), forest.models)
    filters = _filters(q.get("filter"), set(names), problems)
    pareto = _pareto(q.get("pareto"), forest, problems)
    problems += [f"refine part {part[:80]!r} is not <variable index>:<value>|<value>"
                 for part in malformed_parts(q.get("refine"))]
    budgets = _budgets(q.get("budget"), set(names), problems)
    view = OverviewView(
        selection=tuple(selection),
        color=_pick(q.get("color"), names, enc["color"]),
        size=_pick(q.get("size"), names, enc["size"]),
        x=_pick(q.get("x"), names, enc["x"]),
        y=_pick(q.get("y"), names, enc["y"]),
        arrange=q.get("arrange") if q.get("arrange") in ARRANGEMENTS else "op",
        tab=q.get("tab") if q.get("tab") in TABS else "compare",
        filters=filters,
        budgets=budgets,
        pareto=pareto,
        refine=q.get("refine") or "",
        derived=derived,
        flag=parse_flags(query.get("flag"), problems),
    )
    notices = [ignored(p) for p in problems] + ([unknown_ids(unknown)] if unknown else [])
    return view, notices


def _pick(value: str | None, names: Sequence[str], default: str | None) -> str | None:
    """A metric slot: ``none`` clears it, a known name sets it, anything else keeps the default."""
    if value == NO_METRIC:
        return None
    return value if value in names else default


def _filters(text: str | None, metrics: set[str], problems: list[str]) -> tuple[RangeFilter, ...]:
    """'m:lo:hi;m2:lo:hi' (raw separators; each name a codec token)."""
    out = []
    for part in (text or "").split(";"):
        if not part:
            continue
        bits = part.split(":")
        if len(bits) != 3:
            problems.append(f"filter '{unescape(part)}' is not metric:low:high")
            continue
        name = unescape(bits[0])
        try:
            lo, hi = float(bits[1]), float(bits[2])
        except ValueError:
            problems.append(f"filter '{unescape(part)}': bounds must be numbers")
            continue
        if name not in metrics:
            problems.append(f"filter on unknown metric '{name}'")
        elif not lo <= hi:  # NaN is never ordered
            problems.append(f"filter '{name}': low bound must not exceed the high bound")
        elif lo == math.inf or hi == -math.inf:  # -inf:x and x:inf are open ends; nothing else is
            problems.append(f"filter '{name}': only an open end (-inf low, inf high) may be infinite")
        else:
            out.append(RangeFilter(name, lo, hi))
    return tuple(out)


def _budgets(text: str | None, metrics: set[str], problems: list[str]) -> tuple[Budget, ...]:
    """'Model Size<=8e6;Latency ≤ 20' (spaces around the operator allowed when typed by hand)."""
    out = []
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        match = _BUDGET.fullmatch(part.rstrip())
        if not match:
            problems.append(f"budget '{part.strip()}' is not like 'Model Size<=8e6'")
            continue
        written = unescape(match["metric"] + match["pad"])  # exact (as written), then as typed
        name = written if written in metrics else written.strip()
        if name not in metrics:
            problems.append(f"budget on unknown metric '{name}'")
            continue
        try:
            value = float(match["value"])
        except ValueError:
            problems.append(f"budget '{part.strip()}' is not like 'Model Size<=8e6'")
            continue
        if finite(value) is None:
            problems.append(f"budget '{part.strip()}': the value must be a finite number")
            continue
        out.append(Budget(name, {"≤": "<=", "≥": ">="}.get(match["op"], match["op"]), value))
    return tuple(out)


def _encode_pareto(front: Objectives | None) -> str | None:
    if front is None:
        return None
    return ",".join(f"{escape(name)}:{'max' if up else 'min'}"
                    for name, up in ((front.a, front.max_a), (front.b, front.max_b)))


def _pareto(text: str | None, forest: ExperimentForest, problems: list[str]) -> Objectives | None:
    """'A:max,B:min' (a missing direction: the metric's own); anything else hides the front."""
    if not text:
        return None
    parts = [p for p in text.split(",") if p]
    found: list[tuple[str, bool]] = []
    for part in parts if len(parts) == 2 else ():
        token, direction = (part[:-4], part[-3:]) if part.endswith(_DIRECTIONS) else (part, "")
        name = _metric_token(token, forest)
        spec = forest.metric(name) if name is not None else None
        if spec is None:
            break
        found.append((name, direction == "max" if direction else higher_is_better(spec)))
    if len(found) != 2:
        problems.append(f"pareto '{text}' is not two known metrics")
        return None
    (a, max_a), (b, max_b) = found
    return Objectives(a, b, max_a, max_b)


def _metric_token(token: str, forest: ExperimentForest) -> str | None:
    """A metric name from its token; bookmarks before the codec escaped a name twice."""
    once = unescape(token)
    if forest.metric(once) is not None:
        return once
    twice = unescape(once)
    return twice if forest.metric(twice) is not None else None
