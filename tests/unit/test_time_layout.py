"""The Model Map's timeline (arrange=time): buckets, sub-columns, the no-time column, speed."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from backend.overview.map_layout import layout
from backend.overview.time_layout import DAY, LADDER, MAX_BUCKETS, NO_TIME, bucket_interval, time_layout
from tests.support.forests import synthetic_models_doc

T0 = datetime(2024, 12, 7, 14, 5, 30, tzinfo=UTC)


def _m(mid: str, base: str | None = None, op: str | None = None) -> dict:
    return {"id": mid, "base": base, "operation": {"name": op, "parameters": {}} if op else None}


CHAIN = [_m("base"), _m("p50", "base", "prune"), _m("p50ft", "p50", "fine-tune"), _m("q", "base", "quantize")]


def _distinct(lay) -> bool:
    cells = list(lay.positions.values())
    return len(cells) == len(set(cells))


def _at(seconds: dict[str, float | None]) -> dict[str, datetime | None]:
    return {k: None if s is None else T0 + timedelta(seconds=s) for k, s in seconds.items()}


def test_columns_are_time_buckets_rows_are_the_step_layout():
    lay = time_layout(CHAIN, _at({"base": 0, "p50": 20, "p50ft": 600, "q": 1200}))
    steps = layout(CHAIN, mode="step").positions
    assert {mid: row for mid, (_, row) in lay.positions.items()} == {mid: row for mid, (_, row) in steps.items()}
    # 20 minutes: 1-minute buckets from 14:05 to 14:25; base and p50 share one bucket and one row
    assert lay.columns[:4] == ["Dec 7 14:05 UTC", "", "14:06", "14:07"] and lay.columns[-1] == "14:25"
    assert len(lay.columns) == 22 and NO_TIME not in lay.columns
    col = {mid: c for mid, (c, _) in lay.positions.items()}
    assert col == {"base": 0, "p50": 1, "p50ft": 11, "q": 21}
    assert _distinct(lay)


def test_all_in_one_bucket_parent_and_child_never_share_a_cell():
    chain = [_m("a")] + [_m(f"c{i}", "a" if i == 0 else f"c{i - 1}", "prune") for i in range(5)]
    created = {m["id"]: T0 for m in chain}  # the same second: one bucket, ordered by depth
    lay = time_layout(chain, created)
    assert lay.columns == ["Dec 7 14:05:30 UTC"] + [""] * 5
    assert [lay.positions[m["id"]] for m in chain] == [(i, 0) for i in range(6)]
    # times decide the order inside a bucket, not the depth
    created = {m["id"]: T0 + timedelta(milliseconds=100 * (5 - i)) for i, m in enumerate(chain)}
    lay = time_layout(chain, created)
    assert [lay.positions[m["id"]][0] for m in chain] == [5, 4, 3, 2, 1, 0] and _distinct(lay)


def test_a_child_on_another_row_is_never_left_of_its_parent_in_the_same_bucket():
    tree = [_m("a"), _m("b", "a", "prune"), _m("d", "b", "fine-tune"), _m("c", "b", "quantize")]
    lay = time_layout(tree, _at({"a": 0, "b": 0.1, "d": 0.2, "c": 0.3}))  # one 1-second bucket
    assert lay.positions["a"][1] == lay.positions["b"][1] != lay.positions["c"][1]  # c: its own row
    assert lay.positions["c"][0] >= lay.positions["b"][0] == 1 and _distinct(lay)
    models = synthetic_models_doc(300, roots=2)["models"]
    lay = time_layout(models, {m["id"]: T0 + timedelta(seconds=i // 40) for i, m in enumerate(models)})
    assert _distinct(lay)
    assert all(lay.positions[m["id"]][0] >= lay.positions[m["base"]][0] for m in models if m["base"])


def test_models_without_a_time_sit_in_a_first_no_time_column():
    lay = time_layout(CHAIN, _at({"base": None, "p50": None, "p50ft": 30, "q": 31}))
    assert lay.columns[:3] == [NO_TIME, "", "Dec 7 14:06:00 UTC"]  # base and p50: one row, two cells
    assert lay.positions["base"] == (0, 0) and lay.positions["p50"] == (1, 0)
    assert lay.positions["p50ft"][0] == 2 and _distinct(lay)


def test_no_time_at_all_and_no_models():
    lay = time_layout(CHAIN, {})
    assert lay.columns == [NO_TIME, "", ""]  # the step layout's trunk: three in a row
    assert set(lay.positions) == {m["id"] for m in CHAIN} and _distinct(lay)
    assert time_layout([], {}).columns == [] and time_layout([], {}).positions == {}


@pytest.mark.parametrize(("span", "expected"), [
    (0, 1), (20, 1), (23, 1), (100, 5), (300, 15), (20 * 60, 60), (110 * 60, 5 * 60), (2 * 3600, 15 * 60),
    (5 * 3600, 15 * 60), (20 * 3600, 3600), (3 * DAY, 6 * 3600), (20 * DAY, DAY), (100 * DAY, 7 * DAY),
    (400 * DAY, 30 * DAY), (10 * 365 * DAY, 365 * DAY)])
def test_bucket_interval_is_the_smallest_nice_one_with_at_most_24_buckets(span: float, expected: int):
    start = T0.timestamp()
    step = bucket_interval(start, start + span)
    assert step == expected
    lay = time_layout(CHAIN[:2], {"base": T0, "p50": T0 + timedelta(seconds=span)})
    assert len([c for c in lay.columns if c]) <= MAX_BUCKETS


def test_past_the_ladder_whole_years_and_labels_by_interval():
    start = T0.timestamp()
    step = bucket_interval(start, start + 100 * 365 * DAY)
    assert step % LADDER[-1] == 0 and step > LADDER[-1]
    days = time_layout(CHAIN[:2], {"base": T0, "p50": T0 + timedelta(days=3)})
    assert days.columns[0] == "Dec 7 12:00 UTC" and "Dec 8 00:00" in days.columns  # 6 h: the date when it changes
    years = time_layout(CHAIN[:2], {"base": T0, "p50": T0 + timedelta(days=40)})
    assert years.columns[0] == "Dec 2 2024" and "Jan 13 2025" in years.columns  # weeks across a new year


def test_the_first_and_last_representable_times_are_laid_out():
    first, last = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC, microsecond=0)
    for a, b in ((first, last), (first, first + timedelta(days=365)), (last - timedelta(seconds=1), last)):
        lay = time_layout(CHAIN[:2], {"base": a, "p50": b})
        assert len([c for c in lay.columns if c]) <= MAX_BUCKETS and _distinct(lay)


def test_ten_thousand_models_in_well_under_a_second():
    models = synthetic_models_doc(10_000, roots=4)["models"]
    created = {m["id"]: T0 + timedelta(seconds=7 * i) if i % 50 else None for i, m in enumerate(models)}
    time_layout(models[:100], created)
    start = time.perf_counter()
    lay = time_layout(models, created)
    elapsed = time.perf_counter() - start
    assert len(lay.positions) == 10_000 and _distinct(lay)
    assert len([c for c in lay.columns if c]) <= MAX_BUCKETS + 1  # the buckets and "no time"
    assert elapsed < 0.8, elapsed
