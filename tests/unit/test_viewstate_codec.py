"""URL state round-trips any id, commas and percent signs included."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from backend.viewstate.codec import build_query, decode_ids, encode_ids, first, known_ids

ids_strategy = st.lists(st.text(min_size=1, max_size=12), max_size=8)


def _roundtrip(ids: list[str]) -> list[str]:
    query = build_query({"sel": encode_ids(ids)})
    parsed = parse_qs(urlsplit("http://x/" + query).query, keep_blank_values=True)  # what Dash does
    return decode_ids(parsed["sel"][0]) if parsed else []


def test_comma_and_percent_ids_round_trip():
    ids = ["a", "b,c", "50%", "x%2Cy", "ümlaut id", "<script>"]
    assert _roundtrip(ids) == ids


@given(ids_strategy)
def test_any_ids_round_trip(ids: list[str]):
    assert _roundtrip(ids) == ids


def test_build_query_skips_empty_and_keeps_order():
    assert build_query({"sel": "", "color": "Top-1 Accuracy", "x": None, "arrange": "step"}) == (
        "?color=Top-1+Accuracy&arrange=step")
    assert build_query({}) == ""


def test_known_ids_and_first():
    assert known_ids(["b", "zz", "a", "b"], {"a", "b"}) == (["b", "a"], ["zz"])
    assert first(["x", "y"]) == "x" and first("x") == "x" and first(None) is None
    assert decode_ids(["a,b", "c"]) == ["a", "b", "c"] and decode_ids(None) == []
