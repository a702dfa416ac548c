"""The Compare tab's pure builders: engine wiring, bar-chart dicts, chips, table, CSV, messages."""

from __future__ import annotations

import csv
import io
import json

import plotly.graph_objects as go
import pytest
from dash import dcc, html

from backend.comparability import ComparisonTable, Variable
from backend.experiment.loader import load_experiment
from backend.overview.compare import compute
from backend.present.scales import APPLE8
from components.overview.compare_charts import bar_figure, bar_legend, tick_format
from components.overview.compare_tab import (
    CHART,
    CHIP,
    MSG_RANGE,
    MSG_TOO_FEW,
    MSG_TOO_MANY,
    TABLE,
    compare_body,
    comparison_csv,
    comparison_table,
)
from components.shared.data_table import as_components, spec_of
from tests.conftest import reference_tree

ROOT = "resnet50trained"
MP = [f"resnet50trained-magnitudepruning{a}_compressed" for a in (75, 50, 90)]
PAPER = MP + [m + "-retrained" for m in MP]
CASE = [ROOT, "resnet50trained-gradientpruning50_compressed", "resnet50trained-gradientpruning75_compressed",
        "resnet50trained-magnitudepruning90_compressed-recalibrated",
        "resnet50trained-gradientpruning75_compressed-retrained", "resnet50trained-gradientpruning90_compressed"]


@pytest.fixture(scope="module")
def forest():
    return load_experiment(reference_tree("imagenet-userstudy-part1.json")).forest


def _walk(component):
    """Every component of a tree, depth first."""
    if isinstance(component, list | tuple):
        for c in component:
            yield from _walk(c)
        return
    if component is None or isinstance(component, str | int | float):
        return
    yield component
    yield from _walk(getattr(component, "children", None))


def _texts(component) -> list[str]:
    out = []
    for c in _walk(component):
        if isinstance(getattr(c, "children", None), str):
            out.append(c.children)
    return out


def _of(component, cls: str) -> list:
    return [c for c in _walk(component) if cls in (getattr(c, "className", None) or "").split()]


def _acc(forest):
    return forest.metric("Top-1 Accuracy")


def test_paper_figure(forest):
    comparison = compute(forest, PAPER, "")
    assert comparison.chartable and not comparison.has_menu
    table = comparison.simplified
    assert [v.label for v in table.variables] == ["amount", "train 2"]
    fig = bar_figure(forest, table, _acc(forest))
    go.Figure(fig)  # a valid figure for plotly (validation only here, not at request time)
    json.dumps(fig)  # and plain JSON
    layout = fig["layout"]
    assert layout["xaxis"]["ticktext"] == ["0.5", "0.75", "0.9"] and layout["xaxis"]["title"]["text"] == "amount"
    assert layout["title"]["text"] == "Top-1 Accuracy" and layout["barmode"] == "group"
    assert [t["name"] for t in fig["data"]] == ["false", "true"]
    assert [t["marker"]["color"] for t in fig["data"]] == APPLE8[:2]
    retrained = fig["data"][1]
    i = retrained["customdata"].index("resnet50trained-magnitudepruning50_compressed-retrained")
    assert retrained["x"][i] == 0  # 0.5 is the first x position
    assert retrained["y"][i] == pytest.approx(forest[retrained["customdata"][i]].metrics["Top-1 Accuracy"])
    assert "Top-1 Accuracy: <b>76.63%</b>" in retrained["text"][i] and "train 2: true" in retrained["text"][i]
    assert layout["yaxis"]["tickformat"] == "~%"


def test_models_sharing_x_and_colour_get_their_own_slots(forest):
    a, b, c, d = PAPER[:4]
    table = ComparisonTable([Variable("parameter", "amount"), Variable("presence", "train 2")],
                            [(a, (0.5, False)), (b, (0.5, False)), (c, (0.75, True)), (d, (0.5, False))])
    fig = bar_figure(forest, table, _acc(forest))
    where = {mid: (n, x) for n, t in enumerate(fig["data"]) for mid, x in zip(t["customdata"], t["x"], strict=True)}
    assert len(set(where.values())) == 4  # no two bars share a trace slot at the same x
    assert {where[a][0], where[b][0], where[d][0]} == {0, 1, 2}  # three side by side
    for t in fig["data"]:
        assert len(set(t["x"])) == len(t["x"])
    # the duplicates keep their colour; the legend lists each colour once
    colours = {mid: fig["data"][where[mid][0]]["marker"]["color"] for mid in where}
    assert colours[a] == colours[b] == colours[d] == APPLE8[0] and colours[c] == APPLE8[1]
    legend = bar_legend(table)
    assert _texts(legend) == ["train 2", "false", "true"]


def test_one_variable_sequence_order_and_escaping(forest):
    ids = ["<b>x</b>", *PAPER[:3]]
    table = ComparisonTable([Variable("sequence", "prune → <i>train</i>")],
                            [(ids[0], ("None",)), (ids[1], ("Train",)), (ids[2], ("Prune",)), (ids[3], ("Train",))],
                            {0: ["None", "Train", "Prune"]})
    fig = bar_figure(forest, table, forest.metric("Latency"))
    assert len(fig["data"]) == 2  # the two "Train" models sit side by side
    assert {t["marker"]["color"] for t in fig["data"]} == {"#308BEF"}  # no colour variable
    assert fig["layout"]["xaxis"]["ticktext"] == ["None", "Train", "Prune"]  # sequence, not alphabet
    assert fig["layout"]["xaxis"]["title"]["text"] == "prune → &lt;i&gt;train&lt;/i&gt;"
    first = fig["data"][0]
    assert first["customdata"][0] == "<b>x</b>"  # raw id for callbacks ...
    assert "&lt;b&gt;x&lt;/b&gt;" in first["text"][0] and "<b>x</b>" not in first["text"][0]  # ... escaped text
    assert first["y"][0] is None  # unknown model: no bar, no crash
    assert fig["layout"]["title"]["text"] == "Latency (ms)"
    assert bar_legend(table) is None
    assert tick_format(forest.metric("Latency"), 20000) == ".3~s" and tick_format(forest.metric("Epochs"), 90) == ".3~"


def test_body_with_charts_table_and_download(forest):
    body = compare_body(forest, compute(forest, PAPER, ""))
    graphs = [c for c in _walk(body) if isinstance(c, dcc.Graph)]
    assert [g.id for g in graphs] == [{"type": CHART, "metric": i} for i in range(len(forest.primary_metrics))]
    assert len(_of(body, "cc-bars-legend")) == 1  # only above the first chart
    assert not _of(body, "cc-compare-menu") and not _of(body, "cc-compare-message")
    assert any(isinstance(c, dcc.Download) for c in _walk(body))
    assert "Download CSV" in _texts(body)


def test_refinement_menu_chips_and_messages(forest):
    body = compare_body(forest, compute(forest, CASE, ""))
    assert _texts(_of(body, "cc-compare-message")) == [MSG_TOO_MANY]
    (menu,) = _of(body, "cc-compare-menu")
    assert isinstance(menu, html.Details) and menu.open is True
    titles = _texts(_of(menu, "cc-compare-var"))
    assert titles[2] == "gradient prune" and titles[3] == "amount"
    chips = _of(menu, "cc-chip")
    amount = [c for c in chips if c.id["var"] == 3]
    assert [c.children for c in amount] == ["None", "0.5", "0.75", "0.9"]
    assert not _of(menu, "cc-chip-on") and not [c for c in _walk(body) if isinstance(c, dcc.Graph)]
    on = next(c for c in chips if c.id == {"type": CHIP, "var": 2, "value": "true"})
    assert set(json.loads(on.to_plotly_json()["props"]["data-models"])) == {m for m in CASE if "gradient" in m}

    refined = compare_body(forest, compute(forest, CASE, "2:true"))
    assert not _of(refined, "cc-compare-message")
    (menu,) = _of(refined, "cc-compare-menu")
    assert menu.open is True  # stays open while a refinement is active
    assert [(c.id["var"], c.children) for c in _of(menu, "cc-chip-on")] == [(2, "true")]
    assert "4 of 6 models" in _texts(menu) and {"Reset", "Update Selection"} <= set(_texts(menu))
    assert len([c for c in _walk(refined) if isinstance(c, dcc.Graph)]) == len(forest.primary_metrics)
    assert compute(forest, CASE, "2:true").refined_ids == [m for m in CASE if "gradient" in m]
    # a stale or foreign refinement string is ignored rather than failing
    assert compute(forest, CASE, "9:x;2:nope").allowed == {}

    too_few = compare_body(forest, compute(forest, CASE, "0:true"))
    assert _texts(_of(too_few, "cc-compare-message")) == [MSG_TOO_FEW]
    assert not [c for c in _walk(too_few) if isinstance(c, dcc.Graph | html.Table)]


def test_range_messages_and_zero_variables(forest, tmp_path):
    assert _texts(compare_body(forest, compute(forest, PAPER[:1], ""))) == [MSG_RANGE]
    assert _texts(compare_body(forest, compute(forest, forest.ids, ""))) == [MSG_RANGE]  # 20 > 16
    assert _texts(compare_body(forest, compute(forest, [], ""))) == [MSG_RANGE]
    doc = {"metrics": [{"name": "acc", "primary": True, "format": ".1%"}],
           "operations": [{"name": "prune", "parameters": ["amount"]}],
           "models": [{"id": "base", "metrics": {"acc": 0.9}},
                      {"id": "a", "base": "base", "operation": {"name": "prune", "parameters": {"amount": 0.5}},
                       "metrics": {"acc": 0.8}},
                      {"id": "b", "base": "base", "operation": {"name": "prune", "parameters": {"amount": 0.5}},
                       "metrics": {"acc": 0.7}}]}
    path = tmp_path / "dupes.json"
    path.write_text(json.dumps(doc))
    dupes = load_experiment(path, cache_dir=tmp_path / "cache").forest
    assert compare_body(dupes, compute(dupes, ["a", "b"], "")) == []  # same experiment twice: nothing


def test_table_and_csv(forest):
    table = compute(forest, PAPER, "").simplified
    host = comparison_table(forest, table)
    assert host.id == TABLE and spec_of(host)["titled"] == [0]  # built in the browser from JSON
    rendered = as_components(host)
    head = _texts(rendered.children[0])
    assert head[:3] == ["Model", "amount", "train 2"] and "Latency (ms)" in head
    rows = rendered.children[1].children
    assert len(rows) == 6 and _texts(rows[0])[0] == table.rows[0][0]
    first = dict(zip(head, _texts(rows[0]), strict=True))
    assert first["Top-1 Accuracy"] == "13.52%" and first["train 2"] == "false" and first["amount"] == "0.75"

    parsed = list(csv.reader(io.StringIO(comparison_csv(forest, table))))
    assert parsed[0][:4] == ["Model", "amount", "train 2", "Top-1 Accuracy"]
    assert [r[0] for r in parsed[1:]] == table.ids
    row = dict(zip(parsed[0], parsed[1], strict=True))
    model = forest[table.rows[0][0]]
    assert float(row["Top-1 Accuracy"]) == model.metrics["Top-1 Accuracy"]  # raw, full precision
    assert row["Model Size"] == "34442455" and row["train 2"] == "false"
    risky = ComparisonTable([Variable("operation", "Operation")], [("=cmd()", ("@sum",)), (PAPER[0], ("-1",))])
    parsed = list(csv.reader(io.StringIO(comparison_csv(forest, risky))))
    assert parsed[1][:2] == ["'=cmd()", "'@sum"] and parsed[2][1] == "'-1"
    assert parsed[1][2] == ""  # unknown model: empty metric cells
