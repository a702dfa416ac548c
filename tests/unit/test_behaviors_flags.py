"""Instance review flags on the Behaviors page: which notes count in a comparison, the latest
status wins, and the review filter keeps exactly the flagged instances (with the other filters)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.behaviors import CORRECTNESS, BehaviorQuery, query, rows_csv
from backend.behaviors.flags import GLOBAL, MAX_SCOPE, comparison_scope, instance_flags, wanted
from backend.behaviors.page import behavior_query
from backend.viewstate.behaviors import BehaviorView
from tests.support.behaviors_data import make_data


@dataclass(frozen=True)
class Note:
    target: str
    instance_id: str | None
    scope: str
    status: str


HERE = comparison_scope(["m2", "base", "m1"], "base")


def test_the_scope_names_the_comparison_whatever_the_order_of_its_models():
    assert HERE == comparison_scope(["base", "m1", "m2"], "base") == "base=base;models=base,m1,m2"
    assert comparison_scope(["a", "b"], "a") != comparison_scope(["a", "b"], "b")
    assert comparison_scope(["a,b", "c"], "c") == "base=c;models=a%2Cb,c"
    long = comparison_scope([f"model-{'x' * 100}-{i}" for i in range(16)], "model-x")
    assert len(long) <= MAX_SCOPE and "sha1:" in long


def test_the_scope_constants_agree_with_the_store():
    from backend.annotations import records

    assert GLOBAL == records.GLOBAL_SCOPE and MAX_SCOPE == records.MAX_SCOPE


def test_notes_of_this_comparison_and_global_ones_count_the_latest_wins():
    notes = [Note("instance", "7", HERE, "needs review"),
             Note("instance", "8", "base=other;models=other", "regression"),  # another comparison
             Note("model", None, GLOBAL, "regression"),                        # a model note
             Note("instance", "9", GLOBAL, "regression"),
             Note("instance", "7", GLOBAL, "approved")]
    flags = instance_flags(notes, HERE)
    assert flags == {"7": "approved", "9": "regression"}
    assert wanted(flags, ()) == {"7", "9"} and wanted(flags, ["regression"]) == {"9"}
    assert wanted(flags, ["needs review"]) == frozenset()


def test_the_review_filter_keeps_exactly_the_flagged_instances():
    data, _, _ = make_data()
    flags = {"103": "regression", "110": "needs review", "999": "regression"}  # 999 is not in the data
    view = BehaviorView(data.models, data.models[0], CORRECTNESS, level="instance", flagged=True)
    r = query(data, behavior_query(view, flags=flags))
    assert sorted(row["id"] for row in r.rows) == ["103", "110"] and r.total == 2
    only = query(data, behavior_query(view.with_(flag=("regression",)), flags=flags))
    assert [row["id"] for row in only.rows] == ["103"]
    nothing = query(data, behavior_query(view, flags=None))  # unreadable flags keep no row
    assert nothing.total == 0 and nothing.rows == []
    unfiltered = query(data, behavior_query(view.with_(flagged=False), flags=flags))
    assert unfiltered.total == data.n
    lines = rows_csv(data, behavior_query(view, flags=flags)).strip().split("\n")
    assert len(lines) == 3  # the CSV has the same rows


def test_class_rows_count_only_the_flagged_instances():
    data, _, labels = make_data()
    r = query(data, BehaviorQuery(CORRECTNESS, instances=frozenset({"100", "101", "102"})))
    assert sum(row["count"] for row in r.rows) == 3
    assert {row["class"] for row in r.rows} == {int(c) for c in labels[:3]}


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(95, 170), max_size=30), st.none() | st.integers(0, 3))
def test_the_review_filter_intersects_the_other_filters(chosen, wrong):
    """Rows kept with a set of instance ids = the rows without it, restricted to those ids."""
    data, _, _ = make_data()
    ids = frozenset(str(i) for i in chosen)
    base = BehaviorQuery(CORRECTNESS, level="instance", wrong_by=wrong, page_size=1000)
    every = {row["id"] for row in query(data, base).rows}
    kept = query(data, BehaviorQuery(CORRECTNESS, level="instance", wrong_by=wrong, page_size=1000,
                                     instances=ids))
    assert {row["id"] for row in kept.rows} == every & ids
    assert kept.total == len(every & ids) == int(np.isin(list(every), list(ids)).sum())
