"""Which rows the Behaviors table holds for a query, in which order: the class or instance
rows kept by the class filter, wrong_by, pair and the review filter, then brushed and sorted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from backend.behaviors.data import BehaviorData, ComparisonResult

PAGE_SIZE = 50  # rows per page: the grid asks for one page at a time, the server sends only those


@dataclass(frozen=True)
class BehaviorQuery:
    """What the table shows: comparison, mode, level, filters, sort and page."""

    comparison: str
    mode: Literal["absolute", "relative"] = "absolute"
    level: Literal["class", "instance"] = "class"
    class_filter: int | None = None
    brushes: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    sort: tuple[str, Literal["desc", "asc"]] | None = None
    page: int = 0
    page_size: int = PAGE_SIZE
    wrong_by: int | None = None
    pair: tuple[str, str] | None = None  # keep instances on which these two models disagree
    instances: frozenset[str] | None = None  # keep only these instance ids (the flagged ones)


@dataclass
class _Table:
    """Candidate rows (before brushes) in default order, and the chosen rows in final order."""

    mode: str
    level: str
    keys: np.ndarray          # (R,) instance indices or class indices
    shown: np.ndarray         # (k, R)
    value: np.ndarray | None  # (k, R)
    difference: np.ndarray    # (k, R)
    counts: np.ndarray        # (R,) instances per row (1 at instance level)
    keep: np.ndarray          # (n,) instances passing class filter, wrong_by, pair, instances
    order: np.ndarray         # positions into keys: brushed and sorted


def _instance_keep(data: BehaviorData, q: BehaviorQuery) -> np.ndarray:
    keep = np.ones(data.n, dtype=bool)
    if q.level == "instance" and q.class_filter is not None:
        keep &= data.in_class(int(q.class_filter))
    if q.wrong_by is not None:
        keep &= data.wrong == int(q.wrong_by)
    if q.pair is not None and len(q.pair) == 2 and all(m in data.models for m in q.pair):
        a, b = (data.models.index(m) for m in q.pair)
        keep &= data.predicted[a] != data.predicted[b]
    if q.instances is not None:
        keep &= np.isin(np.asarray(data.instance_ids).astype(str), sorted(q.instances))
    return keep


def _class_table(data: BehaviorData, comp: ComparisonResult, mode: str, keep: np.ndarray):
    """Class rows: means over each class's kept instances (an instance counts in each of its classes)."""
    m_t = data.by_class
    w = keep.astype(np.float64)
    counts = m_t @ w
    present = np.flatnonzero(counts > 0)
    names = [data.class_names[c] for c in present]
    present = present[sorted(range(len(present)), key=lambda i: (names[i], present[i]))]
    sub = m_t[present]
    cnt = counts[present]
    diff = (sub @ (comp.difference.T * w[:, None])).T / cnt
    value = None if comp.value is None else (sub @ (comp.value.T * w[:, None])).T / cnt
    if comp.relative:
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = diff / value[0]
        diff = np.where(diff == 0, 0.0, rel)
    shown = value if mode == "absolute" else diff
    return present, shown, value, diff, cnt


def _table(data: BehaviorData, q: BehaviorQuery) -> _Table:
    if q.comparison not in data.comparisons:
        raise ValueError(f"unknown comparison '{q.comparison}' (one of {', '.join(data.comparisons)})")
    if q.level not in ("class", "instance"):
        raise ValueError(f"unknown level '{q.level}' (class or instance)")
    comp = data.comparisons[q.comparison]
    mode = "absolute" if q.mode == "absolute" and comp.has_value else "relative"
    keep = _instance_keep(data, q)
    if q.level == "instance":
        keys = np.flatnonzero(keep)
        full = len(keys) == data.n
        diff = comp.difference if full else comp.difference[:, keys]
        value = None if comp.value is None else (comp.value if full else comp.value[:, keys])
        shown = value if mode == "absolute" else diff
        counts = np.ones(len(keys))
    else:
        keys, shown, value, diff, counts = _class_table(data, comp, mode, keep)
    table = _Table(mode, q.level, keys, shown, value, diff, counts, keep, np.arange(len(keys)))
    table.order = _sorted(data, table, q, _brushed(data, table, q))
    return table


def _brushed(data: BehaviorData, t: _Table, q: BehaviorQuery) -> np.ndarray:
    """Positions inside every brush (inclusive edges, AND across models)."""
    mask = np.ones(len(t.keys), dtype=bool)
    for model, (lo, hi) in q.brushes.items():
        if model in data.models:
            lo, hi = min(lo, hi), max(lo, hi)
            v = t.shown[data.models.index(model)]
            mask &= (v >= lo) & (v <= hi)
    return np.flatnonzero(mask)


def _sorted(data: BehaviorData, t: _Table, q: BehaviorQuery, positions: np.ndarray) -> np.ndarray:
    """Stable sort by one model's raw value (absolute) or |difference| (relative); NaN last."""
    if q.sort is None or q.sort[0] not in data.models:
        return positions
    key = t.shown[data.models.index(q.sort[0]), positions]
    if t.mode == "relative":
        key = np.abs(key)
    if q.sort[1] == "asc":
        return positions[np.argsort(key, kind="stable")]
    return positions[np.argsort(-key, kind="stable")]
