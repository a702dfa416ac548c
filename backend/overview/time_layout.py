"""The Model Map's timeline (``arrange=time``): columns by when each model was created.

Rows come from the step layout, so a chain of derived models stays on one row and the tree's
edges stay short; only the column changes, from the model's depth to its time bucket. The
bucket interval is the smallest "nice" one (1 s ... 365 days) that spans the models' times in at
most ``MAX_BUCKETS`` buckets. Two models on one row in one bucket (a parent and its child made
a second apart) would share a cell, so a bucket gets as many sub-columns as its busiest row
needs, filled in time order and never left of a parent in the same bucket; only a bucket's
first column carries its label. Models without a time sit in a first "no time" column
(sub-columns by step, the same way).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from backend.overview.map_layout import MapLayout
from backend.overview.map_layout import layout as grid_layout

MINUTE, HOUR, DAY = 60, 3600, 86400
#: Bucket intervals in seconds, smallest first.
LADDER = (1, 5, 15, MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 6 * HOUR, DAY, 7 * DAY, 30 * DAY, 365 * DAY)
MAX_BUCKETS = 24
NO_TIME = "no time"
#: Buckets start at whole multiples of the interval after Monday 1970-01-05 00:00 UTC, so days
#: start at midnight UTC and weeks on Mondays.
_ORIGIN = 4 * DAY


def bucket_interval(first: float, last: float, max_buckets: int = MAX_BUCKETS) -> int:
    """Seconds per bucket: the smallest ladder step whose aligned buckets from ``first`` to
    ``last`` (epoch seconds) number at most ``max_buckets``; past the ladder, whole years."""
    for step in LADDER:
        if _count(first, last, step) <= max_buckets:
            return step
    step = LADDER[-1] * max(1, math.ceil((last - first) / (LADDER[-1] * max(1, max_buckets - 1))))
    while _count(first, last, step) > max_buckets:
        step += LADDER[-1]
    return step


def _count(first: float, last: float, step: int) -> int:
    return int((last - _ORIGIN) // step - (first - _ORIGIN) // step) + 1


def bucket_label(start: float, step: int, previous: float | None, years: bool) -> str:
    """The header of a bucket starting at ``start``, compact for the interval: '14:05:30' or
    '14:05' (the date prefixed where it changes, 'UTC' on the first), 'Dec 7', 'Dec 7 2024'."""
    moment = _moment(start)
    day = f"{moment:%b} {moment.day}"
    if step >= 30 * DAY or (step >= DAY and years):
        return f"{day} {moment.year}"
    if step >= DAY:
        return day
    clock = f"{moment:%H:%M:%S}" if step < MINUTE else f"{moment:%H:%M}"
    if previous is None:
        return f"{day} {clock} UTC"
    if _moment(previous).date() != moment.date():
        return f"{day} {clock}"
    return clock


def time_layout(models: Sequence[Mapping[str, Any]], created: Mapping[str, datetime | None], *,
                exact: bool | None = None) -> MapLayout:
    """Grid positions by creation time: rows of the step layout, columns of time buckets.

    ``created`` maps model ids to aware datetimes (None or absent: no time). No two models
    share a (column, row); the result is a ``MapLayout`` like the other arrangements'.
    """
    steps = grid_layout(models, mode="step", exact=exact).positions
    stamps: dict[str, float] = {}
    for mid in steps:
        moment = created.get(mid)
        if moment is not None:
            stamps[mid] = moment.timestamp()
    untimed = len(stamps) < len(steps)
    lo, hi = (min(stamps.values()), max(stamps.values())) if stamps else (0.0, 0.0)
    step = bucket_interval(lo, hi)
    first = (lo - _ORIGIN) // step
    buckets = _count(lo, hi, step) if stamps else 0
    bucket: dict[str, int] = {}  # -1: no time
    members: dict[int, list[tuple[float, int, int, str]]] = {}
    for i, (mid, (depth, _)) in enumerate(steps.items()):
        t = stamps.get(mid)
        b = bucket[mid] = -1 if t is None else int((t - _ORIGIN) // step - first)
        members.setdefault(b, []).append((0.0 if t is None else t, depth, i, mid))
    sub, width = _sub_columns(members, bucket, steps, {m["id"]: m.get("base") for m in models}, buckets)
    offset, columns = [0] * (buckets + 1), []
    previous: float | None = None
    years = _year(lo) != _year(hi)
    for b in range(-1, buckets):
        if b < 0 and not untimed:
            continue
        offset[b + 1] = len(columns)
        if b < 0:
            label = NO_TIME
        else:
            start = _ORIGIN + (first + b) * step
            label = bucket_label(start, step, previous, years)
            previous = start
        columns.extend([label] + [""] * (width[b + 1] - 1))
    return MapLayout(columns, {mid: (offset[bucket[mid] + 1] + sub[mid], row)
                               for mid, (_, row) in steps.items()})


def _sub_columns(members: dict[int, list[tuple[float, int, int, str]]], bucket: dict[str, int],
                 steps: Mapping[str, tuple[int, int]], parent: Mapping[str, Any],
                 buckets: int) -> tuple[dict[str, int], list[int]]:
    """Each model's sub-column in its bucket, and each bucket's width (index 0: no time).

    In time order (then depth), a model takes its row's next free sub-column, but never one
    left of its parent's in the same bucket, so time, and every edge, runs left to right.
    """
    sub: dict[str, int] = {}
    width = [1] * (buckets + 1)
    for b, group in members.items():
        group.sort()
        free: dict[int, int] = {}  # row -> its next free sub-column
        for *_, mid in group:
            row = steps[mid][1]
            k = free.get(row, 0)
            p = parent.get(mid)
            if p in sub and bucket[p] == b:
                k = max(k, sub[p])
            sub[mid], free[row] = k, k + 1
            width[b + 1] = max(width[b + 1], k + 1)
    return sub, width


_FIRST, _LAST = datetime.min.replace(tzinfo=UTC).timestamp(), datetime.max.replace(tzinfo=UTC).timestamp()


def _moment(stamp: float) -> datetime:
    """The UTC time of an epoch second; a bucket that starts before year 1 is labelled year 1."""
    return datetime.fromtimestamp(min(max(stamp, _FIRST), _LAST), UTC)


def _year(stamp: float) -> int:
    return _moment(stamp).year
