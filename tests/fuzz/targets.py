"""Every fuzz target: the parser, how one input is fed to it, and the error type it may raise.

Feeding does what the app does with such an input (parse a URL, then write the view back and
parse that again; compile a pattern, then match it) and asserts what must hold of the answer,
so a wrong answer fails like a crash. ``TARGETS`` is what the tests and the P8 benchmark run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from backend.experiment.check import checkpoint_problems
from backend.experiment.evaluation import evaluate
from backend.experiment.expressions import ExpressionError, compile_expression
from backend.experiment.loader import ConfigError, collect, load_experiment
from backend.infra.safe_regex import PatternError, compile_pattern, match_mask
from backend.overview.collapse import search
from backend.overview.compare import compute
from backend.overview.filters import constraints, passing_ids
from backend.viewstate import behaviors, codec, layers, links, overview, refine
from tests.fuzz.config_strategies import ConfigCase, RawCase, config_cases, raw_cases, serialise
from tests.fuzz.corpus import COMPARISONS, IDS, MODULE_NAMES, empty_forest, hostile_forest, refinement_table
from tests.fuzz.harness import Target
from tests.fuzz.strategies import (
    JSON,
    QUERY_VALUE,
    TEXT,
    VALUE,
    expressions,
    formulas,
    patterns,
    queries,
    refinements,
    search_strings,
    soup,
    store_rows,
)

FORESTS = st.sampled_from(["hostile", "empty"])  # by name, so a failure quotes a short input
_FORESTS = {"hostile": hostile_forest, "empty": empty_forest}


def forest_named(name: str):
    """The fuzz forest of that name (built once)."""
    return _FORESTS[name]()


def _one_line_problems(exc: BaseException) -> str | None:
    """A ConfigError must list its problems as one-line strings."""
    problems = getattr(exc, "problems", None)
    if not problems or not all(isinstance(p, str) and p and "\n" not in p for p in problems):
        return f"ConfigError problems are not one-line strings: {problems!r:.300}"
    return None


def _notices(notices: object) -> None:
    assert isinstance(notices, list) and all(isinstance(n, str) for n in notices), notices


# --- the config loader ---------------------------------------------------------------------------
def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))


def write_config(case: ConfigCase, here: Path) -> Path:
    """The config (and the models file it may name, also under {cache_dir}) written in ``here``."""
    config = here / f"experiments.{case.config_format}"
    _write(config, serialise(case.config, case.config_format))
    if case.models is not None:
        name = "models.json" if case.models_format == "json" else "models.yaml"
        for where in (here / name, here / ".cache" / "models.yaml"):
            _write(where, serialise(case.models, case.models_format))
    return config


def write_raw(case: RawCase, here: Path) -> Path:
    """Bytes written as a config file."""
    config = here / f"experiments{case.suffix}"
    config.write_bytes(case.data)
    return config


def feed_config(config: Path, here: Path) -> None:
    """What --check reads (every problem, checkpoints; not the inspector import), then a load."""
    try:
        found = collect(config, None, False, lambda _m: None, here / ".cache")
        lines = found.problems + found.warnings
        if found.entries is not None and found.models_path is not None:
            lines += checkpoint_problems(found)
        assert all(isinstance(line, str) and "\n" not in line for line in lines), lines
    except ConfigError as exc:
        if (problem := _one_line_problems(exc)) is not None:
            raise AssertionError(problem) from None
    load_experiment(config, build=False, default_cache_dir=here / ".cache").summary()


# --- every page's URL ----------------------------------------------------------------------------
def feed_overview(case: tuple[dict, str], _folder: Path) -> None:
    """Parse, read what the layout reads, write the URL back: a second parse changes nothing."""
    query, name = case
    forest = forest_named(name)
    view, notices = overview.parse(query, forest)
    _notices(notices)
    view.filter_rows(forest)
    view.budget_rows()
    view.pareto_settings(forest)
    again, _ = overview.parse(codec.parse_search(view.to_query()), forest)
    third, _ = overview.parse(codec.parse_search(again.to_query()), forest)
    assert third == again, (again, third)  # numbers are written to 6 digits: stable after one


def feed_behaviors(case: tuple[dict, str, list[str], int], _folder: Path) -> None:
    """Parse the Behaviors URL; its own URL parses back to the same view without notices."""
    query, name, comparisons, n_classes = case
    forest = forest_named(name)
    only = set(comparisons[-1:])  # one comparison without raw values (Relative only)
    view, notices = behaviors.parse(query, forest.models, comparisons=comparisons, n_classes=n_classes,
                                    relative_only=only)
    _notices(notices)
    behaviors.view_from_dict(behaviors.view_to_dict(view))
    behaviors.rows_key(view)
    if view.models:  # brushes are written to 6 digits: the view is stable after one round
        again, _ = behaviors.parse(codec.parse_search(view.to_query()), forest.models,
                                   comparisons=comparisons, n_classes=n_classes, relative_only=only)
        third, more = behaviors.parse(codec.parse_search(again.to_query()), forest.models,
                                      comparisons=comparisons, n_classes=n_classes, relative_only=only)
        assert third == again and more == [], (again, third, more)


def feed_layers(case: tuple[dict, str], _folder: Path) -> None:
    """Parse the Layers URL; the URL and the store both give the view back."""
    query, name = case
    forest = forest_named(name)
    view, notices = layers.parse(query, forest.models)
    _notices(notices)
    assert layers.LayersView.from_store(view.to_store()) == view
    again, _ = layers.parse(codec.parse_search(view.to_query()), forest.models)
    third, more = layers.parse(codec.parse_search(again.to_query()), forest.models)
    assert third == again and more == [], (again, third, more)  # a lone surrogate is written once


def feed_links(case: tuple[Any, Any, int, dict, str, str], _folder: Path) -> None:
    """A detail page's models: at most ``limit`` known ids, the base first; links built from them."""
    models, base, limit, query, search_text, name = case
    forest = forest_named(name)
    chosen, picked, notices = links.detail_models(models, base, forest.models, limit)
    _notices(notices)
    assert len(chosen) <= max(limit, 0) or not chosen
    assert all(m in forest.models for m in chosen) and (picked is None or chosen[0] == picked)
    links.detail_query(chosen, picked, sort=codec.first(base))
    for page in ("overview", *links.DETAIL_PAGES):
        links.compared(page, query, forest.models, default_base=picked)
    links.after_change(search_text, chosen, picked, removed=picked)


def feed_refine(case: tuple[str, int, str, list[str]], _folder: Path) -> None:
    """Decode, toggle and resolve a refinement against a table that needs one; run the Compare tab."""
    text, index, value, selection = case
    table = refinement_table()
    decoded = refine.decode_refinement(text)
    refine.malformed_parts(text)
    toggled = refine.toggle(text, index, value)
    assert refine.decode_refinement(refine.encode_refinement(decoded)) == {i: v for i, v in decoded.items() if v}
    refine.resolve(table, decoded)
    refine.canonical(table, toggled)
    compute(hostile_forest(), selection, text)


def feed_codec(case: tuple[str, Any, list[str], str], _folder: Path) -> None:
    """The escaping scheme round-trips any token; decoding any text never raises."""
    text, value, ids, search_text = case
    assert codec.unescape(codec.escape(text)) == text
    assert codec.decode_ids(codec.encode_ids(ids)) == [i for i in ids if i]
    codec.decode_ids(value)
    for sep in ",;:|":
        codec.split(text, sep)
    codec.parse_sort(text, ids)
    parsed = codec.parse_search(search_text)
    codec.build_query({k: codec.first(v) for k, v in parsed.items()})


def feed_search_string(case: tuple[str, str], _folder: Path) -> None:
    """A pasted link's raw search decoded as Dash does, then read by every page."""
    search_text, name = case
    query = codec.parse_search(search_text)
    feed_overview((query, name), _folder)
    feed_behaviors((query, name, COMPARISONS, 10), _folder)
    feed_layers((query, name), _folder)


# --- expressions: budgets, filter bounds, the regex filter, the map's search box -----------------
def feed_budget(case: tuple[str, str], _folder: Path) -> None:
    """A ``budget=`` value: kept budgets name known metrics with finite values."""
    text, name = case
    forest = forest_named(name)
    view, notices = overview.parse({"budget": text}, forest)
    _notices(notices)
    names = {m.name for m in forest.metrics}
    assert all(b.metric in names and math.isfinite(b.value) and b.op in overview.OPS for b in view.budgets)
    passing_ids(forest, constraints((), view.budgets))


def feed_filter(case: tuple[str, list, list, str], _folder: Path) -> None:
    """A ``filter=`` value and the filter and budget stores: ranges are ordered, masks computed."""
    text, rows, budgets, name = case
    forest = forest_named(name)
    view, notices = overview.parse({"filter": text}, forest)
    _notices(notices)
    assert all(f.lo <= f.hi for f in view.filters)
    passing_ids(forest, constraints(view.filters, view.budgets))
    view.filter_rows(forest)
    stored = overview.OverviewView.from_stores(None, None, None, None, None, None, None, rows, budgets, None, None)
    passing_ids(forest, constraints(stored.filters, stored.budgets))
    stored.to_query()


def feed_derived(case: tuple[str, str], _folder: Path) -> None:
    """A derived metric's expression: through the URL (never raises: a notice, or a metric the
    view can name, round-tripped), then compiled and evaluated (ExpressionError, or one float64
    per model)."""
    text, name = case
    forest = forest_named(name)
    view, notices = overview.parse({"derived": f"d%:{codec.escape(text)}", "x": "d%"}, forest)
    _notices(notices)
    assert view.derived in ((), (("d%", text),)) and (view.x == "d%") == bool(view.derived)
    assert overview.parse({"derived": codec.first(codec.parse_search(view.to_query()).get("derived")) or ""},
                          forest)[0].derived == view.derived
    node = compile_expression(text, [m.name for m in forest.metrics])
    values = evaluate(node, forest.column, len(forest))
    assert values.shape == (len(forest),) and values.dtype.kind == "f"


def feed_regex(case: tuple[str, list[str]], _folder: Path) -> None:
    """Compile the Layers filter, then match it: PatternError or an answer, within the budget."""
    text, names = case
    pattern = compile_pattern(text)
    mask = match_mask(pattern, names)
    assert len(mask) == len(names)


def feed_map_search(case: tuple[str, str], _folder: Path) -> None:
    """The map's search box: at most 20 known ids."""
    text, name = case
    forest = forest_named(name)
    hits = search(forest, text)
    assert len(hits) <= 20 and all(h in forest for h in hits)


TARGETS: dict[str, Target] = {t.name: t for t in [
    Target("config-structured", config_cases, feed_config, (ConfigError,), 300, _one_line_problems, write_config,
           cap=10_000),
    Target("config-raw", raw_cases, feed_config, (ConfigError,), 400, _one_line_problems, write_raw, cap=10_000),
    Target("url-overview", lambda: st.tuples(queries(), FORESTS), feed_overview, (), 250, fixed=(1,)),
    Target("url-behaviors", lambda: st.tuples(queries(), FORESTS, st.sampled_from([COMPARISONS, [], ["x,y"]]),
                                              st.sampled_from([0, 1, 10])), feed_behaviors, (), 200, fixed=(1, 2, 3)),
    Target("url-layers", lambda: st.tuples(queries(), FORESTS), feed_layers, (), 200, fixed=(1,)),
    Target("url-links", lambda: st.tuples(QUERY_VALUE, QUERY_VALUE, st.sampled_from([0, 1, 2, 16]), queries(),
                                          search_strings(), FORESTS), feed_links, (), 200, fixed=(2, 5)),
    Target("url-refine", lambda: st.tuples(st.one_of(refinements(), soup()), st.integers(-2, 12),
                                           st.one_of(TEXT, VALUE), st.lists(st.sampled_from(IDS), max_size=17)),
           feed_refine, (), 300, fixed=(1,)),
    Target("url-codec", lambda: st.tuples(soup(), st.one_of(QUERY_VALUE, st.none()), st.lists(VALUE, max_size=6),
                                          search_strings()), feed_codec, (), 300),
    Target("url-pasted", lambda: st.tuples(search_strings(), FORESTS), feed_search_string, (), 300, fixed=(1,)),
    Target("expr-budget", lambda: st.tuples(expressions("budget"), FORESTS), feed_budget, (), 300, fixed=(1,)),
    Target("expr-filter", lambda: st.tuples(expressions("filter"), store_rows(), store_rows(), FORESTS),
           feed_filter, (), 300, fixed=(3,)),
    Target("expr-derived", lambda: st.tuples(formulas(), FORESTS), feed_derived, (ExpressionError,), 300,
           fixed=(1,)),
    Target("expr-regex", lambda: st.tuples(patterns(), st.sampled_from([MODULE_NAMES, MODULE_NAMES[:3]])),
           feed_regex, (PatternError,), 300),
    Target("expr-map-search", lambda: st.tuples(st.one_of(soup(), JSON.filter(lambda v: isinstance(v, str))),
                                                FORESTS), feed_map_search, (), 200, fixed=(1,)),
]}
