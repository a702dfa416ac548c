"""The Behaviors view survives a trip through its query string, and bad values are reported."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.viewstate.behaviors import (
    MAX_PAGE,
    BehaviorView,
    apply_action,
    grid_pos,
    head_key,
    initial_pos,
    parse,
    pending_page,
    redraw_keys,
    rows_key,
    view_from_dict,
    view_to_dict,
    with_pos,
)
from backend.viewstate.codec import IGNORED, UNKNOWN_IDS
from backend.viewstate.links import MAX_MODELS

COMPARISONS = ["Correctness", "KL divergence"]
N_CLASSES = 10
ID = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
# ids that contain every separator of the query string, an escape, markup and spaces
HOSTILE = st.sampled_from(["a,b", "a:b", "a;b", "a|b", "100%", "x%2Cy", "%25", "%3A:%3B", "ünï-cødé ✓",
                           "<script>alert(1)</script>", " spaced out ", "+plus+", "a&b=c", "?#", "%"])
MODEL_ID = HOSTILE | ID


def _dash_query(query_string: str) -> dict[str, str | list[str]]:
    """What Dash hands a page's layout: parse_qs of the search, single values unwrapped."""
    parsed = parse_qs(urlsplit(query_string).query)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _parse(query_string: str, models) -> tuple[BehaviorView, list[str]]:
    return parse(_dash_query(query_string), set(models), comparisons=COMPARISONS, n_classes=N_CLASSES)


def _six_digits(x: float) -> float:
    """A number the query string writes exactly (6 significant digits)."""
    return float(f"{x:.6g}")


@st.composite
def views(draw, ids=MODEL_ID) -> BehaviorView:
    models = tuple(draw(st.lists(ids, min_size=1, max_size=MAX_MODELS, unique=True)))
    base = models[0]
    brushed = draw(st.lists(st.sampled_from(models), unique=True, max_size=3))
    brushes = []
    for m in brushed:
        lo, hi = sorted(_six_digits(draw(st.floats(-1e6, 1e6, allow_nan=False))) for _ in range(2))
        brushes.append((m, lo, hi))
    pair = tuple(draw(st.permutations(models))[:2]) if len(models) > 1 and draw(st.booleans()) else None
    sort = (draw(st.sampled_from(models)), draw(st.sampled_from(["desc", "asc"]))) if draw(st.booleans()) else None
    flag = tuple(draw(st.lists(HOSTILE | st.sampled_from(["regression", "needs review"]), unique=True,
                               max_size=2)))
    return BehaviorView(
        models, base, draw(st.none() | st.sampled_from(COMPARISONS)), draw(st.sampled_from(["absolute", "relative"])),
        draw(st.sampled_from(["class", "instance"])), draw(st.none() | st.integers(0, N_CLASSES - 1)), sort,
        tuple(brushes), draw(st.integers(0, MAX_PAGE)), draw(st.none() | st.integers(0, len(models))), pair,
        draw(st.booleans()), flag)


@settings(max_examples=300, deadline=None)
@given(views())
def test_any_view_survives_its_query_string_exactly(view):
    """to_query -> the browser -> Dash's decoding -> parse gives the same view and no notice,
    whatever the model ids hold (separators, escapes, unicode, markup, spaces)."""
    back, notices = _parse(view.to_query(), view.models)
    assert notices == []
    assert back == view


@settings(max_examples=100, deadline=None)
@given(views(ID))
def test_query_string_round_trip_keeps_brushes_to_six_digits(view):
    """Brushes of any float come back to the 6 significant digits the URL keeps."""
    rough = view.with_(brushes=tuple((m, lo + 1e-9, hi + 2e-9) for m, lo, hi in view.brushes))
    back, notices = _parse(rough.to_query(), rough.models)
    assert notices == []
    assert back.with_(brushes=()) == rough.with_(brushes=())
    for (m1, lo1, hi1), (m2, lo2, hi2) in zip(back.brushes, rough.brushes, strict=True):
        assert m1 == m2 and abs(lo1 - lo2) <= 1e-5 * max(1, abs(lo2)) and abs(hi1 - hi2) <= 1e-5 * max(1, abs(hi2))


def test_query_keys_and_spelling_are_the_bookmarks():
    """The keys, their order and the escapes earlier bookmarks used."""
    view = BehaviorView(("b:1", "a,2"), "b:1", "KL divergence", "relative", "instance", 3, ("a,2", "asc"),
                        (("b:1", 0.25, 0.5),), 2, 1, ("b:1", "a,2"))
    assert view.to_query() == ("?models=b%253A1%2Ca%252C2&base=b%3A1&comparison=KL+divergence&mode=relative"
                               "&level=instance&class=3&sort=a%252C2%3Aasc&brush=b%253A1%3A0.25%3A0.5&page=2"
                               "&wrong=1&pair=b%253A1%2Ca%252C2")
    assert BehaviorView(("a", "b"), "a").to_query() == "?models=a%2Cb&base=a"
    assert BehaviorView(("a", "b"), "a", flagged=True).to_query() == "?models=a%2Cb&base=a&flagged=1"
    assert BehaviorView(("a", "b"), "a", flag=("needs review", "x,y")).to_query() == \
        "?models=a%2Cb&base=a&flag=needs+review%2Cx%252Cy"


def test_a_status_filter_is_a_flagged_filter():
    """flag= implies flagged (one view per meaning), and Clear drops both."""
    assert BehaviorView(("a",), "a", flag=("regression",)).flagged
    view, notices = parse({"models": "a,b", "flagged": "yes", "flag": "x" * 65 + ",ok,ok"}, {"a", "b"},
                          comparisons=COMPARISONS, n_classes=10)
    assert view.flag == ("ok",) and view.flagged
    assert [n for n in notices if "flagged='yes'" in n] and [n for n in notices if "longer than 64" in n]


@settings(max_examples=100, deadline=None)
@given(views())
def test_store_round_trip(view):
    assert view_from_dict(view_to_dict(view)) == view


def test_bad_values_are_dropped_with_a_reason():
    query = {"models": "a,b", "base": "a", "comparison": "nope", "mode": "sideways", "level": "x", "class": "99",
             "sort": "zz:desc", "brush": "a:1:x;q:0:1;a:0:0.5", "page": "-3", "wrong": "7", "pair": "a,a",
             "flagged": "2"}
    view, notices = parse(query, {"a", "b"}, comparisons=COMPARISONS, n_classes=10)
    assert view == BehaviorView(("a", "b"), "a", brushes=(("a", 0.0, 0.5),))
    assert all(n.startswith(IGNORED) for n in notices), notices
    text = " | ".join(notices)
    for culprit in ("'nope'", "'sideways'", "'x'", "class=99", "'zz:desc'", "'a:1:x'", "'q:0:1'", "page=-3",
                    "wrong=7", "'a,a'", "flagged='2'"):
        assert culprit in text, culprit
    assert "Ignored in the URL: page=-3 is outside 0..1000000000; ignored" in notices


def test_absurd_page_numbers_are_refused():
    view, notices = parse({"models": "a,b", "page": "1" * 40}, {"a", "b"}, comparisons=COMPARISONS, n_classes=10)
    assert view.page == 0 and notices[0].startswith(IGNORED + "page=")


def test_models_and_base_come_from_the_shared_detail_rules():
    """Unknown ids are reported with the codec's notice; the base goes first; without a known
    model nothing else is read (so no notice about keys that cannot apply)."""
    view, notices = parse({"models": "a,ghost,b", "base": "b", "sort": "a:desc"}, {"a", "b"},
                          comparisons=COMPARISONS, n_classes=10)
    assert view.models == ("b", "a") and view.base == "b" and view.sort == ("a", "desc")
    assert notices == [UNKNOWN_IDS + "ghost"]
    view, notices = parse({"models": "ghost", "sort": "zz:sideways"}, {"a"}, comparisons=COMPARISONS, n_classes=10)
    assert view.models == () and view.base is None and notices == [UNKNOWN_IDS + "ghost"]


def test_old_bookmarks_with_raw_colons_in_ids_still_parse():
    view, notices = parse({"models": "a%3Ab,c", "sort": "a:b:asc", "brush": "a:b:0:1"}, {"a:b", "c"},
                          comparisons=COMPARISONS, n_classes=10)
    assert notices == [] and view.sort == ("a:b", "asc") and view.brushes == (("a:b", 0.0, 1.0),)


# --- reducers --------------------------------------------------------------------------------------
V = BehaviorView(("a", "b", "c"), "a", "Correctness", page=4)


def test_every_action_resets_the_page_and_does_what_it_says():
    assert apply_action(V, "level") == V.with_(level="instance", page=0)
    assert apply_action(V.with_(level="instance", class_filter=2), "level") == V.with_(page=0)
    assert apply_action(V, "class", 3) == V.with_(class_filter=3, page=0)
    brushed = V.with_(brushes=(("b", 0.0, 1.0),))
    assert apply_action(brushed, "comparison", "KL") == V.with_(comparison="KL", page=0)
    assert apply_action(brushed, "mode", "relative") == V.with_(mode="relative", page=0)
    assert apply_action(V, "wrong", 2) == V.with_(wrong=2, page=0)
    busy = V.with_(brushes=(("b", 0.0, 1.0),), wrong=1, pair=("a", "b"), class_filter=1, level="instance")
    assert apply_action(busy, "clear") == V.with_(level="instance", page=0)
    assert apply_action(busy, "clear_pair") == busy.with_(pair=None, page=0)
    assert apply_action(V, "pair", ("b", "c")) == V.with_(pair=("b", "c"), page=0)
    assert apply_action(V, "pair", None) == V


def test_brushes_replace_per_model_and_clear():
    one = apply_action(V, "brush", ("b", (0.0, 0.5)))
    two = apply_action(one, "brush", ("c", (-1.0, 1.0)))
    assert two.brushes == (("b", 0.0, 0.5), ("c", -1.0, 1.0)) and two.page == 0
    assert apply_action(two, "brush", ("b", (0.2, 0.3))).brushes == (("c", -1.0, 1.0), ("b", 0.2, 0.3))
    assert apply_action(two, "brush", ("b", None)).brushes == (("c", -1.0, 1.0),)


def test_drilling_into_a_class_only_from_the_class_level():
    assert apply_action(V, "drill", 5) == V.with_(level="instance", class_filter=5, page=0)
    inst = V.with_(level="instance")
    assert apply_action(inst, "drill", 5) == inst
    assert apply_action(V, "drill", None) == V
    assert apply_action(V, None) == V and apply_action(V, "nonsense", 1) == V


def test_redraw_keys_follow_their_fields():
    rows, head = redraw_keys(V, None, None)
    assert (rows, head) == (rows_key(V), head_key(V))
    assert redraw_keys(V, rows, head) == (None, None)
    brushed = V.with_(brushes=(("b", 0.0, 1.0),))
    assert redraw_keys(brushed, rows, head) == (rows_key(brushed), None)  # a drag keeps the histograms
    assert redraw_keys(V.with_(page=9, sort=("a", "asc")), rows, head) == (None, None)
    assert redraw_keys(V, rows, head, fresh=True) == (rows, head)


def test_the_grid_position_restores_a_bookmarks_page_once():
    bookmark = V.with_(sort=("b", "desc"), page=3)
    pos = initial_pos(bookmark)
    assert pending_page(pos, 0) == 3 and pending_page(pos, 1) == 0
    assert pending_page(grid_pos(("b", "desc"), 3), 0) == 0 and pending_page(None, 0) == 0
    assert with_pos(V, pos) == bookmark and with_pos(V, None) == V
    assert with_pos(bookmark, grid_pos(None, 0)) == V.with_(page=0)
