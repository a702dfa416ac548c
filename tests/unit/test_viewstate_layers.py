"""The Layers page's URL state: parsing with notices, writing back, events from the tree."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.layers import TENSORS
from backend.viewstate.codec import SORT_DIRECTIONS as DIRECTIONS
from backend.viewstate.codec import parse_search, parse_sort
from backend.viewstate.layers import (
    DISPLAYS,
    LayersView,
    apply_event,
    parse,
    pick_module,
    set_control,
)

KNOWN = {"a", "b", "c,d"}


def test_parse_defaults_and_round_trip():
    view, notices = parse({"models": "b,a", "base": "a", "tensor": "weights", "sort": "b:desc",
                           "match": "bn", "page": "2", "open": "enc,enc.conv", "sel": "enc"}, KNOWN)
    assert notices == []
    assert view.models == ("a", "b") and view.base == "a" and view.page == 2
    assert view.open == ("enc", "enc.conv") and view.display == "tree" and view.sort == ("b", "desc")
    query = dict(parse_qsl(view.to_query().lstrip("?")))
    again, _ = parse(query, KNOWN)
    assert again == view


def test_bad_input_becomes_notices():
    view, notices = parse({"models": "a,zz,<b>", "tensor": "gradients", "sort": "zz:up",
                           "page": "-3", "view": "3d"}, KNOWN)
    assert view.models == ("a",) and view.tensor == "sparsity" and view.sort is None
    assert view.page == 1 and view.display == "tree"
    text = " | ".join(notices)
    for part in ("zz", "<b>", "gradients", "zz:up", "-3", "3d"):
        assert part in text


def test_notice_texts():
    _, notices = parse({"models": "a,b", "tensor": "nope", "view": "3d", "sort": "zz", "page": "x"}, KNOWN)
    assert notices == [
        "Ignored in the URL: tensor 'nope' is not sparsity, weights or activations; showing sparsity",
        "Ignored in the URL: view '3d' is not tree or heatmap; showing the tree",
        "Ignored in the URL: sort 'zz' is not <compared model>:desc or :asc",
        "Ignored in the URL: page 'x' is not a page number (1 or more)",
    ]
    _, notices = parse({"models": "ghost,a"}, KNOWN)
    assert notices == ["Unknown model ids in the URL were dropped: ghost"]


def test_ids_with_commas_survive():
    view, _ = parse({"models": "a,c%2Cd", "base": "c,d"}, KNOWN)
    assert view.models == ("c,d", "a")
    query = dict(parse_qsl(view.to_query().lstrip("?")))
    assert parse(query, KNOWN)[0].models == ("c,d", "a")


def test_same_keys_and_spelling_as_before():
    view = LayersView(("a", "b"), "a", "weights", "heatmap", "bn", ("b", "asc"), 3, ("enc", "enc.conv"),
                      "enc", "enc.conv", "17")
    assert view.to_query() == ("?models=a%2Cb&base=a&tensor=weights&view=heatmap&match=bn&sort=b%3Aasc"
                               "&page=3&open=enc%2Cenc.conv&sel=enc&module=enc.conv&instance=17")
    assert LayersView(("a",), "a").to_query() == "?models=a&base=a"


def test_store_keeps_the_url_spelling_and_round_trips():
    view = LayersView(("a", "c,d"), "a", "activations", "heatmap", "x", ("c,d", "desc"), 2, ("enc",),
                      "enc", None, "5")
    data = view.to_store()
    assert list(data) == ["models", "base", "tensor", "view", "match", "sort", "page", "open", "sel",
                          "module", "instance"]
    assert data["view"] == "heatmap" and data["sort"] == "c%2Cd:desc" and data["models"] == ["a", "c,d"]
    assert LayersView.from_store(data) == view
    assert LayersView.from_store(LayersView().to_store()) == LayersView()
    hostile = {"models": "a", "page": "2", "sort": 3, "tensor": "x", "view": None, "open": [1, "n"]}
    assert LayersView.from_store(hostile) == LayersView(open=("n",))
    assert LayersView.from_store(None) == LayersView()


def test_events_toggle_sort_and_page():
    s, _ = parse({"models": "a,b"}, KNOWN)
    s = apply_event(s, {"action": "toggle", "node": "enc", "kids": True})
    assert s.open == ("enc",) and s.sel == "enc"
    s = apply_event(s, {"action": "toggle", "node": "enc", "kids": True})
    assert s.open == () and s.sel == "enc"
    s = apply_event(s, {"action": "toggle", "node": "enc.w", "kids": False})
    assert s.open == () and s.sel == "enc.w"
    s = apply_event(s, {"action": "expand", "node": "enc", "kids": True})
    s = apply_event(s, {"action": "collapse", "node": "enc", "kids": True})
    assert s.open == ()
    s = apply_event(s, {"action": "page", "delta": 1})
    assert s.page == 2
    for expected in (("b", "desc"), ("b", "asc"), None):
        s = apply_event(s, {"action": "sort", "model": "b"})
        assert s.sort == expected and s.page == 1
    assert apply_event(s, {"action": "sort", "model": "nope"}).sort is None
    assert apply_event(s, None) is s and apply_event(s, {"action": "page", "delta": "x"}) is s
    assert parse_sort("c,d:asc", ["c,d"]) == ("c,d", "asc")
    assert parse_sort("c%2Cd:asc", ["c,d"]) == ("c,d", "asc") and parse_sort("c,d:up", ["c,d"]) is None


def test_controls_and_heatmap_clicks():
    s = LayersView(("a", "b"), "a", page=4)
    assert set_control(s, "match", "  bn ") == s.with_(match="bn", page=1)
    assert set_control(s, "tensor", "weights").tensor == "weights" and set_control(s, "tensor", "x") == s
    assert set_control(s, "display", "heatmap").display == "heatmap" and set_control(s, "display", "3d") == s
    assert set_control(s, "instance", " 7 ").instance == "7" and set_control(s, "instance", "  ").instance is None
    assert set_control(s, None, "x") == s
    assert pick_module(s, "enc") == s.with_(module="enc", sel="enc") and pick_module(s, None) is s
    assert s.with_(instance="7").instance_key() == "7|a|a,b" and s.instance_key() is None


# --- any valid view survives the URL --------------------------------------------------------------
HOSTILE = [",", ":", ";", "|", "%", "%2C", "%25", "<script>", " ", "+", "&", "=", "#", "?", "ü", "名", "🙂", "\\"]
tokens = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(min_size=1, max_size=4)), min_size=1,
                  max_size=4).map("".join)
maybe = st.one_of(st.none(), tokens)


@st.composite
def views(draw) -> tuple[LayersView, set[str]]:
    models = draw(st.lists(tokens, min_size=1, max_size=16, unique=True))
    sort = draw(st.one_of(st.none(), st.tuples(st.sampled_from(models), st.sampled_from(DIRECTIONS))))
    view = LayersView(
        models=tuple(models), base=models[0], tensor=draw(st.sampled_from(TENSORS)),
        display=draw(st.sampled_from(DISPLAYS)), match=draw(st.one_of(st.just(""), tokens)), sort=sort,
        page=draw(st.integers(1, 10**9)), open=tuple(draw(st.lists(tokens, max_size=5))),
        sel=draw(maybe), module=draw(maybe), instance=draw(maybe),
    )
    return view, set(models) | set(draw(st.lists(tokens, max_size=3)))


@settings(max_examples=300, deadline=None)
@given(views())
def test_any_view_round_trips_through_the_url(case):
    view, known = case
    again, notices = parse(parse_search(view.to_query()), known)  # as Dash decodes it
    assert notices == [] and again == view
    assert LayersView.from_store(view.to_store()) == view
