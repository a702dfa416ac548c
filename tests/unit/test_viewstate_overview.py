"""The Overview's view state: parsing with notices, old bookmarks, and the URL round trip."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.experiment.expressions import quote
from backend.experiment.forest import ExperimentForest, Model
from backend.experiment.loader import load_experiment
from backend.experiment.schema import MetricSpec
from backend.overview.filters import Budget, RangeFilter
from backend.overview.pareto import Objectives
from backend.viewstate.codec import ignored, number, unknown_ids
from backend.viewstate.overview import (
    ARRANGEMENTS,
    NO_METRIC,
    OPS,
    TABS,
    OverviewView,
    parse,
    shown_front,
    store_budgets,
    store_filters,
)
from backend.viewstate.refine import encode_refinement
from tests.conftest import reference_tree


def forest_of(ids: list[str], metrics: list[str], values: dict[str, dict[str, float]] | None = None,
              primary: list[str] | None = None) -> ExperimentForest:
    """A flat forest (every model a root) with these ids and metric names."""
    values = values or {}
    models = {i: Model(i, None, None, None, values.get(i, {})) for i in ids}
    specs = [MetricSpec(name=m, primary=m in (primary or [])) for m in metrics]
    return ExperimentForest("t", models, {}, specs)


def decoded(query: str) -> dict[str, str | list[str]]:
    """The query as Dash hands it to a layout: parse_qs of the query, single values unwrapped."""
    parsed = parse_qs(urlsplit("http://x/" + query).query, keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def value_of(view: OverviewView, key: str) -> str | None:
    """One key's (once-decoded) value in the view's query string."""
    return decoded(view.to_query()).get(key)


@pytest.fixture(scope="module")
def study():
    return load_experiment(reference_tree("imagenet-userstudy-part1.json")).forest


# --- filters, budgets, pareto (moved here with their parsers from backend.overview) -----------
def test_filter_url_round_trip_and_notices():
    f = RangeFilter("Top-1 Accuracy: val;x", 0.5, math.inf)
    inverted = value_of(OverviewView(filters=(RangeFilter(f.metric, 2, 1),)), "filter")
    text = value_of(OverviewView(filters=(f,)), "filter") + ";Nope:0:1;bad;" + inverted
    view, notices = parse({"filter": text}, forest_of([], ["Top-1 Accuracy: val;x"]))
    assert view.filters == (f,)
    assert notices == [ignored(p) for p in [
        "filter on unknown metric 'Nope'", "filter 'bad' is not metric:low:high",
        "filter 'Top-1 Accuracy: val;x': low bound must not exceed the high bound"]]


def test_budget_parsing():
    forest = forest_of([], ["Model Size", "Latency", "Top-1 Accuracy"])
    view, notices = parse({"budget": "Model Size<=8e6;Latency ≤ 20;Top-1 Accuracy>=0.7;junk;X<=1"}, forest)
    assert view.budgets == (Budget("Model Size", "<=", 8e6), Budget("Latency", "<=", 20.0),
                            Budget("Top-1 Accuracy", ">=", 0.7))
    assert notices == [ignored("budget 'junk' is not like 'Model Size<=8e6'"),
                       ignored("budget on unknown metric 'X'")]
    assert view.budgets[0].as_filter() == RangeFilter("Model Size", -math.inf, 8e6)


def test_pareto_url_round_trip(study):
    default, notices = parse({}, study)
    assert notices == [] and default.pareto is None
    assert default.pareto_settings(study) == {"a": "Latency", "b": "Top-1 Accuracy", "max_a": False,
                                              "max_b": True, "show": False}
    assert value_of(default, "pareto") is None
    shown = shown_front({**default.pareto_settings(study), "show": True, "max_a": True})
    assert shown == Objectives("Latency", "Top-1 Accuracy", True, True)
    text = value_of(default.with_(pareto=shown), "pareto")
    assert text == "Latency:max,Top-1 Accuracy:max"
    assert parse({"pareto": text}, study)[0].pareto == shown
    assert parse({"pareto": "Latency"}, study)[0].pareto is None
    assert parse({"pareto": "Nope,Latency"}, study)[0].pareto is None
    assert parse({"pareto": "Model Size,Top-1 Accuracy"}, study)[0].pareto_settings(study) == {
        "a": "Model Size", "b": "Top-1 Accuracy", "max_a": False, "max_b": True, "show": True}


# --- notices ---------------------------------------------------------------------------------
def test_every_dropped_part_is_one_notice_in_the_codec_format():
    forest = forest_of(["a", "b"], ["acc", "size"])
    query = {"sel": "a,ghost,b", "filter": "acc:high:low", "pareto": "acc", "refine": "abc;1:x",
             "budget": "size<=lots;size<=1.2.3;size<=inf", "color": "toString", "arrange": "../x",
             "tab": "<b>"}
    view, notices = parse(query, forest)
    assert notices == [
        ignored("filter 'acc:high:low': bounds must be numbers"),
        ignored("pareto 'acc' is not two known metrics"),
        ignored("refine part 'abc' is not <variable index>:<value>|<value>"),
        ignored("budget 'size<=lots' is not like 'Model Size<=8e6'"),
        ignored("budget 'size<=1.2.3' is not like 'Model Size<=8e6'"),
        ignored("budget 'size<=inf': the value must be a finite number"),
        unknown_ids(["ghost"]),
    ]
    assert view.selection == ("a", "b") and view.filters == () and view.budgets == ()
    assert (view.arrange, view.tab, view.pareto, view.refine) == ("op", "compare", None, "abc;1:x")
    assert view.color == parse({}, forest)[0].color  # an unknown metric keeps the default encoding


def test_nan_bound_and_none_metric():
    forest = forest_of([], ["acc", "size"])
    view, notices = parse({"filter": "acc:nan:1", "color": NO_METRIC, "x": "size"}, forest)
    assert notices == [ignored("filter 'acc': low bound must not exceed the high bound")]
    assert view.color is None and view.x == "size"
    assert value_of(view, "color") == NO_METRIC


# --- old bookmarks ---------------------------------------------------------------------------
def test_bookmarks_written_before_the_codec_still_open():
    forest = forest_of([], ["a:b%c", "x;y", "plain"])
    # filters escaped only % ; : (the codec writes the same for these names)
    view, notices = parse({"filter": "a%3Ab%25c:0:1;x%3By:2:3", "budget": "x%3By<=5"}, forest)
    assert notices == []
    assert view.filters == (RangeFilter("a:b%c", 0, 1), RangeFilter("x;y", 2, 3))
    assert view.budgets == (Budget("x;y", "<=", 5),)
    # pareto names were escaped twice (once by the front's own escaper, once as an id)
    old = "a%253Ab%2525c:min,plain:max"
    assert parse({"pareto": old}, forest)[0].pareto == Objectives("a:b%c", "plain", False, True)


def test_hand_typed_budgets_and_filters_with_open_ends():
    forest = forest_of(["m", "n"], ["acc", "Model Size"], {"m": {"acc": 0.2}, "n": {"acc": 0.9}})
    view, notices = parse({"budget": " Model Size ≥ 3 ; acc<=0.5 ", "filter": "acc:0.5:inf;acc:inf:inf"}, forest)
    assert notices == [ignored("filter 'acc': only an open end (-inf low, inf high) may be infinite")]
    assert view.budgets == (Budget("Model Size", ">=", 3.0), Budget("acc", "<=", 0.5))
    assert view.filters == (RangeFilter("acc", 0.5, math.inf),)
    assert value_of(view, "filter") == "acc:0.5:inf"
    # a store cannot hold inf: the open end stops at the metric's domain (the data's extent here)
    assert view.filter_rows(forest) == [{"metric": "acc", "lo": 0.5, "hi": 0.9}]


# --- the page's stores -----------------------------------------------------------------------
def test_stores_are_what_the_url_writer_writes():
    rows = [{"metric": "acc", "lo": None, "hi": None}, {"metric": "size", "lo": 1.0, "hi": 2.5},
            {"metric": "acc", "lo": math.nan, "hi": 1.0}]
    budgets = [{"metric": "size", "op": ">=", "value": 3}, {"metric": "acc", "op": "<=", "value": None},
               {"metric": None, "value": 1.0}, {"metric": "acc", "value": math.inf}, {"metric": "acc", "value": True}]
    assert store_filters(rows) == (RangeFilter("size", 1.0, 2.5),)
    assert store_budgets(budgets) == (Budget("size", ">=", 3.0),)
    pareto = {"a": "acc", "b": "size", "max_a": True, "max_b": False, "show": False}
    view = OverviewView.from_stores(["b", "a"], "acc", None, "size", "acc", "step", "filter", rows, budgets,
                                    pareto, "0:x")
    assert view.to_query() == ("?sel=b%2Ca&color=acc&size=none&x=size&y=acc&arrange=step&tab=filter"
                               "&filter=size%3A1%3A2.5&budget=size%3E%3D3&refine=0%3Ax")
    shown = OverviewView.from_stores([], None, None, None, None, "op", "compare", [], [], {**pareto, "show": True}, "")
    assert value_of(shown, "pareto") == "acc:max,size:min"
    assert OverviewView.from_stores(None, None, None, None, None, "sideways", None, None, None, None, None) == \
        OverviewView()


def test_view_to_stores():
    forest = forest_of(["a"], ["acc", "size"])
    view = OverviewView(filters=(RangeFilter("size", 0, 1),), budgets=(Budget("acc", ">=", 0.5),))
    assert view.filter_rows(forest) == [{"metric": "size", "lo": 0, "hi": 1}]
    assert OverviewView().filter_rows(forest) == [{"metric": "acc", "lo": None, "hi": None}]
    assert view.budget_rows() == [{"metric": "acc", "op": ">=", "value": 0.5}]


# --- the round trip --------------------------------------------------------------------------
HOSTILE = st.sampled_from([",", ":", ";", "|", "%", "%2C", "%25", "%3A", "<script>", " ", "  ", "ü", "名",
                           "=", "&", "+", "#", "?", "<=", ">=", "≤", "'", '"', "\\", "\n", "1e5", "inf"])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=4)
NAMES = st.lists(st.one_of(HOSTILE, TEXT), min_size=1, max_size=4).map("".join).filter(lambda n: n != NO_METRIC)
WRITTEN = st.floats(allow_nan=False, allow_infinity=True).map(lambda v: float(number(v)))  # 6 digits
FINITE = WRITTEN.filter(math.isfinite)


@st.composite
def derived_metrics(draw, metrics: list[str]) -> tuple[tuple[str, str], ...]:
    """Derived metrics with hostile names, each over the metrics and the derived ones before it."""
    names = draw(st.lists(NAMES.filter(lambda n: n.strip() and n not in metrics), max_size=3, unique=True))
    out: list[tuple[str, str]] = []
    for name in names:
        known = metrics + [n for n, _ in out]
        a, b = draw(st.sampled_from(known)), draw(st.sampled_from(known))
        form = draw(st.sampled_from(["{a} / ({b} + 1e6)", "max({a}, {b}, 0.5) ** 2", "-{a} < {b}",
                                     "log(abs({a})) * {b}", "{a}"]))
        out.append((name, form.format(a=quote(a), b=quote(b))))
    return tuple(out)


@st.composite
def forests_and_views(draw) -> tuple[ExperimentForest, OverviewView]:
    """A forest with hostile model ids and metric names, and a valid view of it (derived metrics
    with hostile names and expressions included, which the other parts may name)."""
    ids = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    metrics = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    forest = forest_of(ids, metrics)
    derived = draw(derived_metrics(metrics))
    metric = st.sampled_from(metrics + [n for n, _ in derived])
    slot = st.one_of(st.none(), metric)

    bounds = st.tuples(WRITTEN, WRITTEN).map(sorted).filter(lambda b: b[0] != math.inf and b[1] != -math.inf)
    filters = draw(st.lists(st.builds(lambda m, b: RangeFilter(m, *b), metric, bounds), max_size=3))
    budgets = draw(st.lists(st.builds(Budget, metric, st.sampled_from(OPS), FINITE), max_size=3))
    pareto = draw(st.one_of(st.none(), st.builds(Objectives, metric, metric, st.booleans(), st.booleans())))
    allowed = draw(st.dictionaries(st.integers(0, 9), st.lists(NAMES, min_size=1, max_size=3, unique=True),
                                   max_size=3))
    view = OverviewView(
        selection=tuple(draw(st.lists(st.sampled_from(ids), unique=True))),
        color=draw(slot), size=draw(slot), x=draw(slot), y=draw(slot),
        arrange=draw(st.sampled_from(ARRANGEMENTS)), tab=draw(st.sampled_from(TABS)),
        filters=tuple(filters), budgets=tuple(budgets), pareto=pareto, refine=encode_refinement(allowed),
        derived=derived,
        flag=tuple(draw(st.lists(NAMES.filter(lambda n: len(n) <= 64), unique=True, max_size=3))),
    )
    return forest, view


@settings(max_examples=300, deadline=None)
@given(forests_and_views())
def test_any_view_round_trips_through_the_url(case: tuple[ExperimentForest, OverviewView]):
    forest, view = case
    again, notices = parse(decoded(view.to_query()), forest)
    assert notices == []
    assert again == view


# --- derived metrics -------------------------------------------------------------------------
def test_derived_metrics_in_the_url_and_their_notices():
    forest = forest_of(["a", "b"], ["acc", "Model Size"], {"a": {"acc": 0.5, "Model Size": 2.0}})
    text = value_of(OverviewView(derived=(("per size", "acc / `Model Size`"), ("x;y:z", "-`per size`"))), "derived")
    assert text == "per size:acc / `Model Size`;x%3By%3Az:-`per size`"
    view, notices = parse({"derived": text + ";acc:1;bad:acc.real;ghost:nope * 2;none:1;justaname",
                           "color": "per size", "x": "x;y:z", "y": "ghost"}, forest)
    assert view.derived == (("per size", "acc / `Model Size`"), ("x;y:z", "-`per size`"))
    assert (view.color, view.x, view.y) == ("per size", "x;y:z", None)  # y: the default, as without them
    assert notices == [ignored(p) for p in [
        "derived metric 'none': the URL writes 'none' for no metric",
        "derived metric 'justaname' is not name:expression",
        "derived metric 'acc': 'acc' is already a metric; pick another name",
        "derived metric 'bad': expression 'acc.real': unexpected '.' (attributes are not part of the "
        "language) at position 4",
        "derived metric 'ghost': expression 'nope * 2': unknown metric 'nope' at position 1"]]
    assert OverviewView().to_query() == "?color=none&size=none&x=none&y=none"  # no derived= key
    stored = OverviewView.from_stores([], None, None, None, None, None, None, None, None, None, None,
                                      [["per size", "acc"], ["bad"], "junk", [1, 2]])
    assert stored.derived == (("per size", "acc"),)


@pytest.mark.parametrize("arrange", ["op", "step", "time"])
def test_each_arrangement_round_trips_and_time_is_one(arrange: str):
    assert set(ARRANGEMENTS) == {"op", "step", "time"}  # the property test above samples these
    forest = forest_of(["a"], ["acc"])
    view = OverviewView(arrange=arrange)
    assert value_of(view, "arrange") == (None if arrange == "op" else arrange)
    assert parse(decoded(view.to_query()), forest) == (view, [])
    assert parse({"arrange": "timeline"}, forest)[0].arrange == "op"


def test_flag_statuses_in_the_url_and_their_notice():
    forest = forest_of(["a", "b"], ["m"])
    view, notices = parse(decoded("?flag=regression,needs%20review,regression"), forest)
    assert view.flag == ("regression", "needs review") and notices == []
    assert view.to_query().endswith("flag=regression%2Cneeds+review")
    view, notices = parse({"flag": "x" * 65 + ",approved"}, forest)
    assert view.flag == ("approved",)
    assert notices == [f"Ignored in the URL: flag '{'x' * 65}' is longer than 64 characters"]
