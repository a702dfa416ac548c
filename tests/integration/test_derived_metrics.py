"""Derived metrics through the app's router and callbacks, in process (no browser).

A config's ``derived_metrics``, the built-in changes and a metric added on the page are metrics
like any other: in every picker, in the scatterplot, the filter, the budgets and the Compare
tab's bar charts; the "+ Derived metric" control adds one as a navigation to the new URL, and a
refused expression shows its one-line reason and navigates nowhere.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from server import cli
from tests.support import tiny
from tests.support.renderer import Renderer

MODELS = ("base", "child", "other")
VALUES = {"base": (0.9, 4e6), "child": (0.8, 1e6), "other": (0.5, 0.0)}


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    folder = tmp_path_factory.mktemp("derived")
    (folder / "ckpt").mkdir()
    for seed, mid in enumerate(MODELS):
        tiny.save_linear(folder / "ckpt" / f"{mid}.pt", seed=seed)
    lines = [f"  - {{id: {mid}, {'base: base, ' if mid != 'base' else ''}checkpoint: ckpt/{mid}.pt, "
             f"metrics: {{Accuracy: {acc}, Model Size: {size}}}}}" for mid, (acc, size) in VALUES.items()]
    config = folder / "exp.yaml"
    config.write_text(
        "name: derived\nmodels:\n" + "\n".join(lines) + "\n"
        "metrics:\n"
        "  - {name: Accuracy, primary: true, format: '.1%', min: 0, max: 1, higher_is_better: true}\n"
        "  - {name: Model Size, primary: true, unit: B}\n"
        "derived_metrics:\n"
        "  - {name: Accuracy per MB, expr: 'Accuracy / (`Model Size` / 1e6)', format: '.3f'}\n"
        "inspector: {module: tests.support.tiny, class: TinyInspector, device: cpu, batch_size: 32}\n")
    return Renderer.for_flask(cli.create_app(config, folder / "cache").server)


def _options(page, component: str) -> list[str]:
    return [o["value"] for o in page.prop(component, "options")]


def test_configured_and_builtin_metrics_are_in_every_picker(renderer: Renderer):
    page = renderer.open("/?tab=pareto")
    names = _options(page, "overview-x")
    assert names == ["Accuracy", "Model Size", "Accuracy Δ parent", "Accuracy Δ root",
                     "Model Size × parent", "Model Size × root", "Accuracy per MB"]
    assert _options(page, "overview-color") == names == _options(page, "overview-size")
    assert _options(page, {"type": "overview-pareto-field", "field": "a"}) == names


def test_a_url_metric_draws_the_scatter_and_passes_filters_budgets_and_bars(renderer: Renderer):
    query = "derived=ratio:Accuracy%20/%20%60Model%20Size%20%C3%97%20root%60&x=ratio&y=Accuracy"
    page = renderer.open(f"/?sel=base,child,other&{query}&filter=ratio:0.5:1e9&budget=ratio>=0.85")
    assert "Ignored" not in page.text
    figure = page.prop("overview-scatter", "figure")
    xs = dict(zip(figure["data"][0]["customdata"], figure["data"][0]["x"], strict=True))
    assert xs["base"] == pytest.approx(0.9) and xs["child"] == pytest.approx(0.8 / 0.25)
    assert xs["other"] is None  # 0.5 / 0: infinite, shown as missing
    assert page.prop("overview-filtered", "data") == ["base", "child"]  # the missing one fails the filter
    charts = [c for c in page.components() if isinstance(c["props"].get("id"), dict)
              and c["props"]["id"].get("type") == "overview-compare-chart"]
    titles = [c["props"]["figure"]["layout"]["title"]["text"] for c in charts]
    assert titles == ["Accuracy", "Model Size (B)", "Accuracy per MB", "ratio"]  # page metrics are primary


def _add(renderer: Renderer, page, name: str, expr: str):
    dep = renderer.dependency("overview-navigate.href")
    return renderer.call(page, dep, trigger=("overview-derived-add", "n_clicks"),
                         values={("overview-derived-add", "n_clicks"): 1, ("overview-derived-name", "value"): name,
                                 ("overview-derived-expr", "value"): expr})


def test_the_control_adds_a_metric_as_a_navigation_and_refuses_a_bad_one(renderer: Renderer):
    page = renderer.open("/?sel=child&color=Accuracy")
    bad = _add(renderer, page, "per MB", "Accuracy / (`Model Size`")
    assert bad.outputs == {"overview-derived-error": {
        "children": "expression 'Accuracy / (`Model Size`': '(' is never closed at position 12"}}
    clash = _add(renderer, page, "Accuracy", "1")
    assert clash.outputs["overview-derived-error"]["children"] == "'Accuracy' is already a metric; pick another name"
    good = _add(renderer, page, " per MB ", "Accuracy / (`Model Size` / 1e6)")
    href = good.outputs["overview-navigate"]["href"]
    query = parse_qs(urlsplit(href).query)
    assert query["derived"] == ["per MB:Accuracy / (`Model Size` / 1e6)"]
    assert query["sel"] == ["child"] and query["color"] == ["Accuracy"]  # the rest of the view kept
    again = renderer.open(href)
    assert "per MB" in _options(again, "overview-x") and "Ignored" not in again.text
    assert again.prop("overview-derived", "data") == [["per MB", "Accuracy / (`Model Size` / 1e6)"]]


def test_removing_a_metric_drops_the_ones_built_on_it_and_their_slots(renderer: Renderer):
    page = renderer.open("/?derived=a:Accuracy*2;b:a%2B1;c:Accuracy&color=b&x=c&filter=b:0:9")
    dep = renderer.dependency("overview-navigate.href")
    first = json.dumps({"index": 0, "type": "overview-derived-remove"}, separators=(",", ":"))
    removed = renderer.call(page, dep, trigger=(first, "n_clicks"), values={(first, "n_clicks"): 1})
    query = parse_qs(urlsplit(removed.outputs["overview-navigate"]["href"]).query)
    assert query["derived"] == ["c:Accuracy"] and query["color"] == ["none"] and query["x"] == ["c"]
    assert "filter" not in query


def test_the_legend_names_a_derived_colour(renderer: Renderer):
    page = renderer.open("/?derived=d:Accuracy%20-%201&color=d")
    assert page.by_class("cc-legend-title") == ["d"]


def test_page_callbacks_read_the_view_metrics(renderer: Renderer):
    page = renderer.open("/?derived=d:Accuracy%20*%20100&x=d&y=Accuracy")
    dep = renderer.dependency("overview-scatter.figure")
    answer = renderer.call(page, dep, trigger=("overview-x", "value"))
    xs = answer.outputs["overview-scatter"]["figure"]["data"][0]["x"]
    assert sorted(xs) == pytest.approx([50.0, 80.0, 90.0])
