"""The Layers page's URL state: parsing with notices, writing back, events from the tree."""

from __future__ import annotations

from urllib.parse import parse_qsl

from pages._layers_callbacks import apply_event, parse_sort, parse_state, state_query

KNOWN = {"a", "b", "c,d"}


def test_parse_state_defaults_and_round_trip():
    state, notices = parse_state({"models": "b,a", "base": "a", "tensor": "weights", "sort": "b:desc",
                                  "match": "bn", "page": "2", "open": "enc,enc.conv", "sel": "enc"}, KNOWN)
    assert notices == []
    assert state["models"] == ["a", "b"] and state["base"] == "a" and state["page"] == 2
    assert state["open"] == ["enc", "enc.conv"] and state["view"] == "tree"
    query = dict(parse_qsl(state_query(state).lstrip("?")))
    again, _ = parse_state(query, KNOWN)
    assert again == state


def test_bad_input_becomes_notices():
    state, notices = parse_state({"models": "a,zz,<b>", "tensor": "gradients", "sort": "zz:up",
                                  "page": "-3", "view": "3d"}, KNOWN)
    assert state["models"] == ["a"] and state["tensor"] == "sparsity" and state["sort"] == ""
    assert state["page"] == 1 and state["view"] == "tree"
    text = " | ".join(notices)
    for part in ("zz", "<b>", "gradients", "zz:up", "-3", "3d"):
        assert part in text


def test_ids_with_commas_survive():
    state, _ = parse_state({"models": "a,c%2Cd", "base": "c,d"}, KNOWN)
    assert state["models"] == ["c,d", "a"]
    query = dict(parse_qsl(state_query(state).lstrip("?")))
    assert parse_state(query, KNOWN)[0]["models"] == ["c,d", "a"]


def test_events_toggle_sort_and_page():
    s, _ = parse_state({"models": "a,b"}, KNOWN)
    s = apply_event(s, {"action": "toggle", "node": "enc", "kids": True})
    assert s["open"] == ["enc"] and s["sel"] == "enc"
    s = apply_event(s, {"action": "toggle", "node": "enc", "kids": True})
    assert s["open"] == [] and s["sel"] == "enc"
    s = apply_event(s, {"action": "toggle", "node": "enc.w", "kids": False})
    assert s["open"] == [] and s["sel"] == "enc.w"
    s = apply_event(s, {"action": "expand", "node": "enc", "kids": True})
    s = apply_event(s, {"action": "collapse", "node": "enc", "kids": True})
    assert s["open"] == []
    s = apply_event(s, {"action": "page", "delta": 1})
    assert s["page"] == 2
    for expected in ("b:desc", "b:asc", ""):
        s = apply_event(s, {"action": "sort", "model": "b"})
        assert s["sort"] == expected and s["page"] == 1
    assert apply_event(s, {"action": "sort", "model": "nope"})["sort"] == ""
    assert apply_event(s, None) is s and apply_event(s, {"action": "page", "delta": "x"}) is s
    assert parse_sort("c,d:asc", ["c,d"]) == ("c,d", "asc")
