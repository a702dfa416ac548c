"""backend.viewstate.links and the codec's notices: one comparison, spelled one way on every page."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from backend.viewstate.codec import decode_ids, escape, parse_search, unescape, unknown_ids
from backend.viewstate.links import (
    MAX_MODELS,
    after_change,
    compared,
    detail_models,
    detail_query,
    overview_query,
)

HOSTILE = st.text(alphabet=st.sampled_from(list("ab,;:|% 2CÜ<>&=?#/")), min_size=1, max_size=8)


def test_detail_models_puts_the_base_first_and_reports_what_it_dropped():
    known = {"a", "b", "c"}
    models, base, notices = detail_models("c,ghost,a,b", "b", known)
    assert (models, base) == (["b", "c", "a"], "b")
    assert notices == ["Unknown model ids in the URL were dropped: ghost"]
    # an unknown base falls back to the first known model, so a stale bookmark still opens
    assert detail_models("a,b", "zz", known)[:2] == (["a", "b"], "a")
    assert detail_models(None, None, known) == ([], None, [])


def test_detail_models_keeps_at_most_the_limit_and_says_so():
    known = {f"m{i}" for i in range(20)}
    models, _, notices = detail_models(",".join(f"m{i}" for i in range(20)), None, known)
    assert len(models) == MAX_MODELS == 16
    assert notices == ["Ignored in the URL: at most 16 models are compared; 4 more were dropped"]


def test_unknown_ids_notice_names_five_then_counts():
    assert unknown_ids([f"g{i}" for i in range(8)]) == (
        "Unknown model ids in the URL were dropped: g0, g1, g2, g3, g4 and 3 more")


@given(st.lists(HOSTILE, min_size=1, max_size=6, unique=True), st.data())
def test_detail_query_round_trips_hostile_ids(ids, data):
    base = data.draw(st.sampled_from(ids))
    query = parse_search(detail_query(ids, base))
    models, parsed_base, notices = detail_models(query.get("models"), query.get("base"), set(ids))
    assert parsed_base == base and models[0] == base and sorted(models) == sorted(ids) and notices == []


@given(st.lists(HOSTILE, max_size=6, unique=True))
def test_overview_query_round_trips_hostile_ids(ids):
    assert decode_ids(parse_search(overview_query(ids)).get("sel")) == ids


@given(st.text(max_size=20))
def test_unescape_inverts_escape(text):
    assert unescape(escape(text)) == text
    assert not any(c in escape(text) for c in ",;:|")


def test_unescape_leaves_other_percent_sequences_alone():
    assert unescape("%41%2c%3A") == "%41,:"


def test_compared_reads_the_selection_or_the_detail_models():
    known = {"a", "b", "c"}
    assert compared("overview", {"sel": "b,c,ghost"}, known, default_base="c") == (["b", "c"], "c")
    assert compared("overview", {"sel": "b,c"}, known, default_base=None) == (["b", "c"], "b")
    assert compared("layers", {"models": "a,b", "base": "b"}, known) == (["b", "a"], "b")
    assert compared("overview", {}, known) == ([], None)


def test_after_change_keeps_other_keys_and_drops_per_model_ones():
    search = "?" + urlencode({"models": "a,b,c", "base": "a", "sort": "b:desc", "page": "3", "mode": "relative"})
    assert parse_search(after_change(search, ["a", "b", "c"], "a", removed="a")) == {
        "models": "b,c", "base": "b", "mode": "relative"}
    assert parse_search(after_change(search, ["a", "b", "c"], "c")) == {
        "models": "c,a,b", "base": "c", "sort": "b:desc", "mode": "relative"}


def test_range_bounds_round_outward_so_a_bookmark_keeps_the_end_models():
    from backend.viewstate.codec import bounds

    # the demo's Latency range: to nearest, 11.124405 would be written '11.1244' and drop its model
    assert bounds(1.0244049, 11.124405) == ("1.0244", "11.1245")
    lo, hi = bounds(-3.14159265, 2.71828183)
    assert float(lo) <= -3.14159265 and float(hi) >= 2.71828183
    assert bounds(0.5, 0.75) == ("0.5", "0.75")  # exact at 6 digits: unchanged
    assert bounds(float("-inf"), float("inf")) == ("-inf", "inf")


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300),
       st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_range_bounds_always_contain_the_range(a, b):
    from backend.viewstate.codec import bounds

    lo, hi = min(a, b), max(a, b)
    text_lo, text_hi = bounds(lo, hi)
    assert float(text_lo) <= lo and float(text_hi) >= hi
