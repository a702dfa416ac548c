"""The refinement's URL string round-trips any values, through the query string too."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from backend.comparability import ComparisonTable, Variable
from backend.viewstate.codec import build_query
from backend.viewstate.refine import (
    canonical,
    decode_refinement,
    encode_refinement,
    malformed_parts,
    resolve,
    toggle,
)

values = st.lists(st.text(max_size=10), min_size=1, max_size=5, unique=True)
refinements = st.dictionaries(st.integers(min_value=0, max_value=40), values, max_size=5)


def _through_url(text: str) -> str:
    """What Dash hands the layout after the browser saw ``?refine=<text>``."""
    query = build_query({"refine": text})
    parsed = parse_qs(urlsplit("http://x/" + query).query, keep_blank_values=True)
    return parsed["refine"][0] if parsed else ""


def test_readable_format_and_escapes():
    assert encode_refinement({2: ["true"], 0: ["0.5", "0.75"]}) == "0:0.5|0.75;2:true"
    assert encode_refinement({1: ["a:b;c|d%e"]}) == "1:a%3Ab%3Bc%7Cd%25e"
    assert decode_refinement("1:a%3Ab%3Bc%7Cd%25e") == {1: ["a:b;c|d%e"]}
    assert encode_refinement({0: [], 3: ["x"]}) == "3:x"  # an empty list lets everything through
    assert encode_refinement({}) == "" and decode_refinement("") == {} and decode_refinement(None) == {}


def test_decoding_is_lenient():
    # junk parts are dropped; a "%41" the escaper never writes stays literal text
    assert decode_refinement("x:1;;2;-1:a;3:%41|%41;3:b") == {3: ["%41", "b"]}
    assert decode_refinement("0:%3a") == {0: [":"]}


@given(refinements)
def test_round_trip(allowed: dict[int, list[str]]):
    assert decode_refinement(encode_refinement(allowed)) == allowed


@given(refinements)
def test_round_trip_through_the_query_string(allowed: dict[int, list[str]]):
    text = encode_refinement(allowed)
    assert _through_url(text) == text
    assert decode_refinement(_through_url(text)) == allowed


@given(refinements, st.integers(min_value=0, max_value=40), st.text(max_size=6))
def test_toggle_flips_one_value_and_twice_restores(allowed: dict[int, list[str]], index: int, value: str):
    text = encode_refinement(allowed)
    once = decode_refinement(toggle(text, index, value))
    assert (value in once.get(index, [])) != (value in allowed.get(index, []))
    assert {i: v for i, v in once.items() if i != index} == {i: v for i, v in allowed.items() if i != index}
    twice = decode_refinement(toggle(toggle(text, index, value), index, value))
    assert {i: set(v) for i, v in twice.items()} == {i: set(v) for i, v in allowed.items()}


def test_resolve_maps_display_strings_to_values_and_drops_stale_parts():
    table = ComparisonTable(
        [Variable("parameter", "amount"), Variable("presence", "train 2")],
        [("a", (0.5, False)), ("b", (0.75, True)), ("c", (1.0, True))],
    )
    assert resolve(table, {0: ["0.5", "1", "0.9"], 1: ["true"], 7: ["x"]}) == {0: [0.5, 1.0], 1: [True]}
    assert resolve(table, {1: ["True"]}) == {}  # JavaScript spelling only: "true"
    assert canonical(table, "7:x;1:true|nope") == "1:true"


@given(refinements)
def test_encoded_refinements_are_never_reported_malformed(allowed):
    assert malformed_parts(encode_refinement(allowed)) == []


def test_malformed_parts_are_the_ones_decoding_drops():
    assert malformed_parts("0:a;abc;-1:y;:z;2:b;;") == ["abc", "-1:y", ":z"]
    assert decode_refinement("0:a;abc;-1:y;:z;2:b;;") == {0: ["a"], 2: ["b"]}
    assert malformed_parts(None) == [] and malformed_parts("") == []
