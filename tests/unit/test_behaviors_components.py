"""The Behaviors builders the callbacks wire: control events, toolbar state, grid rows and links."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

from backend.behaviors import CORRECTNESS, BehaviorQuery, query
from backend.viewstate.behaviors import BehaviorView, apply_action
from backend.viewstate.codec import decode_ids
from components.behaviors.events import action_of, brush_range, clicked_class, clicked_pair
from components.behaviors.sections import grid_rows, layers_link
from components.behaviors.toolbar import filter_chips, review_options, toolbar_state
from components.shared import ids
from tests.support.behaviors_data import make_data

V = BehaviorView(("base", "m1", "m2"), "base", CORRECTNESS, page=2)


def test_controls_decode_to_actions():
    assert action_of(ids.BH_LEVEL, 1) == ("level", 1)
    assert action_of(ids.BH_CLASS, -1) == ("class", None) and action_of(ids.BH_CLASS, 4) == ("class", 4)
    assert action_of(ids.BH_WRONG, None) == ("wrong", None) and action_of(ids.BH_WRONG, 0) == ("wrong", 0)
    assert action_of(ids.BH_MODE, "relative") == ("mode", "relative")
    assert action_of(ids.BH_COMPARISON, "KL") == ("comparison", "KL")
    assert action_of(ids.BH_CLEAR, 3)[0] == "clear" and action_of(ids.BH_PAIR_CLEAR, 1)[0] == "clear_pair"
    hist = {"type": ids.BH_HIST, "model": "m1"}
    assert action_of(hist, {"range": {"x": [0.5, -0.25]}}) == ("brush", ("m1", (-0.25, 0.5)))
    assert action_of(hist, None) == ("brush", ("m1", None))
    cell = {"value": {"kind": "class", "cls": 2, "name": "emu"}}
    assert action_of({"type": ids.BH_GRID, "key": "k"}, cell) == ("drill", 2)
    assert action_of(ids.BH_FLIPS, {"points": [{"customdata": ["m1", "m2"]}]}) == ("pair", ("m1", "m2"))
    assert action_of("somewhere-else", 1) == (None, 1) and action_of({"type": "x"}, 1) == (None, None)


def test_payloads_that_mean_nothing_decode_to_none():
    assert brush_range({"range": {}}) is None and brush_range("junk") is None
    assert clicked_class({"value": {"kind": "instance", "id": "7"}}) is None and clicked_class(None) is None
    assert clicked_pair({"points": [{"customdata": ["m1", "m1"]}]}) is None and clicked_pair({}) is None


def test_decoded_events_drive_the_reducer():
    view = apply_action(V, *action_of({"type": ids.BH_GRID, "key": "k"}, {"value": {"kind": "class", "cls": 1}}))
    assert view == V.with_(level="instance", class_filter=1, page=0)
    assert toolbar_state(view) == ("‹ Classes", {}, 1, -1, "")
    assert toolbar_state(V) == ("Show All Instances", {"display": "none"}, -1, -1, "")
    flagged = apply_action(V, *action_of(ids.BH_REVIEW, "*"))
    assert flagged == V.with_(flagged=True, page=0) and toolbar_state(flagged)[-1] == "*"
    regression = apply_action(flagged, *action_of(ids.BH_REVIEW, "regression"))
    assert regression.flag == ("regression",) and regression.flagged
    assert toolbar_state(regression)[-1] == "regression"
    assert apply_action(regression, *action_of(ids.BH_REVIEW, "")) == V.with_(page=0)
    assert apply_action(regression, "clear") == V.with_(page=0)


def test_review_filter_offers_each_status_and_the_urls_own_choice():
    values = [o["value"] for o in review_options(V, ("needs review", "a,b"))]
    assert values == ["", "*", "needs review", "a%2Cb"]
    several = V.with_(flag=("regression", "approved"))
    options = review_options(several, ("regression", "approved"))
    assert options[-1] == {"label": "Flagged regression or approved", "value": "regression,approved"}
    assert toolbar_state(several)[-1] == "regression,approved"


def test_filter_chips_name_every_filter():
    view = V.with_(level="instance", class_filter=1, brushes=(("m1", 0.0, 0.5),), wrong=2, pair=("m1", "m2"))
    chips = [c.children for c in filter_chips(view, ("cat", "dog"))]
    assert chips == ["class dog", "m1: 0 … 0.5", "exactly 2 of 3 models wrong", "m1 and m2 disagree"]
    assert view.filtered and not V.filtered
    assert [c.children for c in filter_chips(V.with_(flagged=True), ())] == ["flagged only"]
    assert [c.children for c in filter_chips(V.with_(flag=("regression",)), ())] == ["flagged regression"]
    assert V.with_(flagged=True).filtered


def test_instance_rows_link_to_layers_with_the_compared_models():
    data, _, _ = make_data()
    view = V.with_(models=("base", "m,1", "m2"), level="instance")
    data = replace(data, models=view.models)  # an id with the separator of the models key
    result = query(data, BehaviorQuery(CORRECTNESS, level="instance", page_size=5))
    rows = grid_rows(view, data.comparisons[CORRECTNESS], result, lambda i: {"text": f"#{i}"})
    first = rows[0]["item"]
    assert first["text"] == "#0"
    url = urlsplit(first["layers"])
    assert url.path == "/layers"
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert decode_ids(q["models"]) == ["base", "m,1", "m2"] and q["base"] == "base"
    assert q["tensor"] == "activations" and q["instance"] == first["id"]
    assert layers_link(["m2", "base"], "base", "7") == "/layers?models=base%2Cm2&base=base&tensor=activations&instance=7"
    classes = grid_rows(V, data.comparisons[CORRECTNESS], query(data, BehaviorQuery(CORRECTNESS)),
                        lambda i: {"text": "never"})
    assert all("layers" not in r["item"] and "text" not in r["item"] for r in classes)


def test_instance_rows_carry_their_review_badge_and_note_button():
    """Flags travel by instance id: the flagged row has its status and badge class, every instance
    row has the Note button, class rows have neither."""
    data, _, _ = make_data()
    view = V.with_(models=data.models, base=data.models[0], level="instance")
    result = query(data, BehaviorQuery(CORRECTNESS, level="instance", page_size=5))
    flagged_id = str(result.rows[1]["id"])
    rows = grid_rows(view, data.comparisons[CORRECTNESS], result, lambda i: {}, {flagged_id: "needs review"})
    items = [r["item"] for r in rows]
    assert all(i["notes"] for i in items)
    assert [i.get("flag") for i in items] == [None, "needs review", None, None, None]
    assert items[1]["flagClass"] == "cc-flag cc-flag-needs-review"
    assert all("notes" not in i for i in (r["item"] for r in grid_rows(view, data.comparisons[CORRECTNESS],
                                                                        result, lambda i: {})))
    classes = grid_rows(V, data.comparisons[CORRECTNESS], query(data, BehaviorQuery(CORRECTNESS)),
                        lambda i: {}, {flagged_id: "regression"})
    assert all("notes" not in r["item"] and "flag" not in r["item"] for r in classes)
