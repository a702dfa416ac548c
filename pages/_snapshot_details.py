"""The Behaviors and Layers snapshots: the rows on screen, read from the cache only.

Why cache-only: a snapshot is made from the CLI or a click, where running every compared model
(seconds to minutes, a GPU maybe) would be a surprise; the pages themselves draw from the
cache on first render and compute only in their background jobs. When the predictions or layer
statistics are not cached, the snapshot says so in one line instead. Both end with the compared
models' review notes, read through the app's store (``pages._annotation_data``).
"""

from __future__ import annotations

from collections.abc import Mapping

import backend.behaviors as bh
from backend.behaviors import FAILURES
from backend.experiment.forest import ExperimentForest
from backend.snapshot import Html, Section, join, notes_section, table, tag
from backend.viewstate.behaviors import BehaviorView, initial_pos, pos_sort
from backend.viewstate.layers import parse as parse_layers
from backend.viewstate.links import detail_models
from components.behaviors.grid import page_rows
from components.snapshot.static_html import to_html
from pages import _behaviors_data as bd
from pages._annotation_data import snapshot_notes
from server.context import engine

Facts = list[tuple[str, str]]
Parts = tuple[Facts, list[str], list[Section]]  # header facts, notices, sections
HINT = "Choose models to compare: {page}?models=a,b&base=a"
NOT_CACHED = ("{what} of {models} {verb} not in the cache: open this view in the app and load them, "
              "then export again (the snapshot reads the cache only, it never runs a model).")


def _missing(what: str, models: list[str]) -> Html:
    text = NOT_CACHED.format(what=what, models=", ".join(models), verb="is" if len(models) == 1 else "are")
    return tag("p", text, class_="cc-warn snap-missing")


def _facts(view_models: tuple[str, ...] | list[str], base: str, extra: Facts) -> Facts:
    return [("Models", ", ".join(view_models)), ("Base", base), *extra]


def _item(item: dict) -> Html:
    if item["kind"] == "class":
        return join([tag("b", item["name"]), f" ({item['count']:,} instances)"])
    if str(item.get("image", "")).startswith("data:image/"):
        shown = tag("img", "", src=item["image"], alt=item["id"])
    else:
        shown = tag("div", item.get("text", ""))
    flag = tag("span", item["flag"], class_=item["flagClass"]) if item.get("flag") else ""
    return join([shown, tag("div", f"#{item['id']} · label {item['label']}", class_="cc-hint"), flag])


def _cell(cell: dict) -> Html:
    bar = ""
    if cell.get("frac") is not None:
        bar = tag("div", "", class_="snap-bar",
                  style=f"width:{100 * float(cell['frac']):.0f}%;height:6px;background:{cell['color']}")
    words = " · ".join(str(x) for x in (cell.get("label"), cell.get("pred"), cell.get("text")) if x)
    return tag("div", join([bar, words]), title=cell.get("title") or "")


def behaviors_sections(forest: ExperimentForest, query: Mapping[str, str | list[str]]) -> Parts:
    """(facts, notices, sections) of a Behaviors URL: the first page of rows, as on screen."""
    opened = bh.open_view(query, forest, engine)
    if opened.view is None:
        line = opened.error or HINT.format(page="/behaviors")
        return [], opened.notices + ([opened.error] if opened.error else []), [
            Section("Behaviors", tag("p", line, class_="cc-hint"))]
    view: BehaviorView = opened.view
    shown = f"{view.comparison}, {view.mode}, {view.level} level"
    facts = _facts(view.models, view.base, [("Comparison", shown)])
    eng = engine()
    absent = bh.missing(eng, view)
    if absent:
        return facts, opened.notices, [Section("Rows", _missing("Predictions", absent), wide=True)]
    review = bd.review(view)
    try:
        data, result = bh.run(eng, view, pos_sort(initial_pos(view)), view.page, review.flags)
    except FAILURES as exc:
        return facts, opened.notices, [Section("Rows", tag("p", str(exc), class_="cc-warn"), wide=True)]
    comp = data.comparisons[view.comparison]
    fmt = comp.options.get("format") or ".3~g"
    render = (lambda i: bh.render_instance(eng, i)) if view.level == "instance" else None
    rows = page_rows(result.rows, view.level, view.models, view.base, result.mode, result.domain,
                     result.diverging, fmt, view.comparison, comp.has_value, render=render, value_fmt=fmt,
                     flags=review.flags if view.level == "instance" else None)
    head = ["Instance" if view.level == "instance" else "Class", *view.models]
    body = [[Html(tag("div", _item(r["item"]), class_="snap-instance")),
             *(_cell(r[f"m{j}"]) for j in range(len(view.models)))] for r in rows]
    caption = tag("p", f"Page {result.page + 1} of {max(result.pages, 1)}: {len(rows)} of "
                       f"{result.total:,} rows ({result.n_instances:,} instances).", class_="cc-hint")
    notices = opened.notices + ([review.problem] if review.problem and view.flagged else [])
    return facts, notices, [Section("Rows", join([caption, table(head, body)]), wide=True)]


def layers_sections(forest: ExperimentForest, query: Mapping[str, str | list[str]],
                    figures: list[dict]) -> Parts:
    """(facts, notices, sections) of a Layers URL: the module table or heatmap, as on screen."""
    view, notices = parse_layers(query, forest)
    if not view.models:
        return [], notices, [Section("Layers", tag("p", HINT.format(page="/layers"), class_="cc-hint"))]
    from backend import layers
    from pages._layers_callbacks import render

    facts = _facts(view.models, view.base, [("Tensor", view.tensor), ("Display", view.display)])
    if not layers.ready(engine(), list(view.models), view.base, view.tensor):
        return facts, notices, [Section("Layers", _missing("Layer statistics", list(view.models)), wide=True)]
    content, _pager, message, _cls = render(view)
    body = to_html(content, figures)
    if message:
        body = join([tag("p", message, class_="cc-warn"), body])
    return facts, notices, [Section("Layers", body, wide=True)]


def detail_snapshot(path: str, forest: ExperimentForest, query: Mapping[str, str | list[str]],
                    figures: list[dict]) -> Parts:
    """The Behaviors or Layers page's snapshot parts, then the compared models' review notes."""
    if path == "/behaviors":
        facts, notices, sections = behaviors_sections(forest, query)
    else:
        facts, notices, sections = layers_sections(forest, query, figures)
    models, _base, _notices = detail_models(query.get("models"), query.get("base"), forest)  # the page's own
    if models:
        _flags, notes, problem = snapshot_notes(models)
        sections = [*sections, notes_section(notes, problem=problem, scope=" on the compared models")]
    return facts, notices, sections

