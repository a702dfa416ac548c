"""The Behaviors view survives a trip through its query string, and bad values are reported."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.viewstate.behaviors import BehaviorView, parse_view, view_from_dict, view_to_dict

COMPARISONS = ["Correctness", "KL divergence"]
ID = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)


def _parse(query_string: str, models, base) -> BehaviorView:
    """What Dash hands the layout: the query decoded once."""
    query = dict(parse_qsl(urlsplit(query_string).query))
    return parse_view(query, models, base, COMPARISONS, 10)


@st.composite
def views(draw) -> BehaviorView:
    models = tuple(draw(st.lists(ID, min_size=2, max_size=5, unique=True)))
    base = models[0]
    brushed = draw(st.lists(st.sampled_from(models), unique=True, max_size=3))
    brushes = tuple((m, lo, lo + draw(st.floats(0, 5, allow_nan=False)))
                    for m in brushed for lo in [round(draw(st.floats(-5, 5, allow_nan=False)), 3)])
    pair = tuple(draw(st.permutations(models))[:2]) if draw(st.booleans()) else None
    return BehaviorView(
        models, base, draw(st.sampled_from(COMPARISONS)), draw(st.sampled_from(["absolute", "relative"])),
        draw(st.sampled_from(["class", "instance"])), draw(st.none() | st.integers(0, 9)),
        (draw(st.sampled_from(models)), draw(st.sampled_from(["desc", "asc"]))) if draw(st.booleans()) else None,
        brushes, draw(st.integers(0, 500)), draw(st.none() | st.integers(0, len(models))), pair)


@settings(max_examples=200, deadline=None)
@given(views())
def test_query_string_round_trip(view):
    back = _parse(view.query_string(), list(view.models), view.base)
    assert back.problems == ()
    assert back.with_(brushes=()) == view.with_(brushes=())
    for (m1, lo1, hi1), (m2, lo2, hi2) in zip(back.brushes, view.brushes, strict=True):
        assert m1 == m2 and abs(lo1 - lo2) <= 1e-5 * max(1, abs(lo2)) and abs(hi1 - hi2) <= 1e-5 * max(1, abs(hi2))


@settings(max_examples=100, deadline=None)
@given(views())
def test_store_round_trip(view):
    assert view_from_dict(view_to_dict(view)) == view


def test_bad_values_are_dropped_with_a_reason():
    models = ["a", "b"]
    view = parse_view({"comparison": "nope", "mode": "sideways", "level": "x", "class": "99", "sort": "zz:desc",
                       "brush": "a:1:x;q:0:1;a:0:0.5", "page": "-3", "wrong": "7", "pair": "a,a"},
                      models, "a", COMPARISONS, 10)
    assert view == BehaviorView(("a", "b"), "a", brushes=(("a", 0.0, 0.5),))
    text = " | ".join(view.problems)
    for culprit in ("'nope'", "'sideways'", "'x'", "class=99", "'zz:desc'", "'a:1:x'", "'q:0:1'", "page=-3",
                    "wrong=7", "'a,a'"):
        assert culprit in text, culprit


def test_absurd_page_numbers_are_refused():
    view = parse_view({"page": "1" * 40}, ["a", "b"], "a", COMPARISONS, 10)
    assert view.page == 0 and "page=" in view.problems[0]
