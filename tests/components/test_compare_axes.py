"""The Compare charts' x labels: wrapped upright on several lines, never cut, never touching."""

from __future__ import annotations

import pytest

from backend.comparability import ComparisonTable, Variable
from backend.experiment.loader import load_experiment
from components.overview.compare_charts import MARGIN, TITLE_LINE_PX, bar_figure, min_chart_width
from components.overview.compare_tab import bar_charts
from components.overview.tick_labels import (
    FONTS,
    LINE_EM,
    PLOT_PX,
    WRAP,
    text_px,
    tick_layout,
    title_lines,
    wrap_label,
)
from tests.conftest import reference_tree

SEQUENCE = ["None", "global magnitude prune", "fine-tune", "global magnitude prune 2", "fine-tune 2",
            "global magnitude prune 3", "fine-tune 3"]
FLAT = ["global magnitude prune & amount 0.1",
        "global magnitude prune & amount 0.5 & fine-tune & global magnitude prune 2 & fine-tune 2",
        "gradient prune 0.9 & fine-tune"]


@pytest.fixture(scope="module")
def forest():
    return load_experiment(reference_tree("imagenet-userstudy-part1.json")).forest


def _table(forest, values: list[str]) -> ComparisonTable:
    ids = forest.ids[: len(values)]
    return ComparisonTable([Variable("sequence", " → ".join(SEQUENCE[1:]))],
                           [(mid, (v,)) for mid, v in zip(ids, values, strict=True)], {0: values})


def test_wrap_breaks_on_words_and_before_each_ampersand():
    assert wrap_label("global magnitude prune & amount 0.5", 20) == ["global magnitude", "prune", "& amount 0.5"]
    assert wrap_label("normalization", 4) == ["normalization"]  # a long word is kept whole
    assert wrap_label("0.5") == ["0.5"]
    assert wrap_label("recalibrate fine-tune", 12) == ["recalibrate", "fine-tune"]  # no "fine-" / "tune"


def test_layout_fits_the_card_and_every_line_fits_its_band():
    for labels in (SEQUENCE, FLAT, ["0.5", "0.75", "0.9"]):
        layout = tick_layout(labels)
        for label, lines in zip(labels, layout.lines, strict=True):
            assert " ".join(lines) == label  # nothing cut, nothing added
            assert all(len(line) <= WRAP or " " not in line for line in lines)
            assert all(text_px(line, layout.font) + 2 <= layout.band for line in lines)
    assert tick_layout(["0.5", "0.75", "0.9"]).font == FONTS[0]
    assert tick_layout(SEQUENCE).font == FONTS[-1]  # seven long values: the smaller font
    assert tick_layout(FLAT).plot_width() <= PLOT_PX  # three long values fit the usual card
    assert tick_layout(["x" * 30] * 16).plot_width() > PLOT_PX  # sixteen long ones cannot: scroll


def test_figure_upright_labels_with_room_below(forest):
    table = _table(forest, SEQUENCE)
    metric = forest.primary_metrics[0]
    fig = bar_figure(forest, table, metric)
    xaxis, layout = fig["layout"]["xaxis"], tick_layout(SEQUENCE)
    assert xaxis["tickangle"] == 0 and xaxis["automargin"] is False  # Plotly never turns them
    assert xaxis["ticktext"] == ["<br>".join(t) for t in layout.lines]
    assert xaxis["tickfont"]["size"] == layout.font
    assert max(t.count("<br>") for t in xaxis["ticktext"]) >= 2  # "global / magnitude / prune 2"
    title = xaxis["title"]["text"].split("<br>")
    assert len(title) >= 2 and " ".join(title) == table.variables[0].label  # wrapped, not cut
    lines = max(len(t) for t in layout.lines)
    assert fig["layout"]["margin"]["b"] >= lines * layout.font * LINE_EM + len(title) * TITLE_LINE_PX
    assert fig["layout"]["height"] == 144 + MARGIN["t"] + fig["layout"]["margin"]["b"]
    # the chart is never narrower than its labels need; the card scrolls it instead
    width = min_chart_width(table)
    assert width == MARGIN["l"] + MARGIN["r"] + layout.plot_width()
    graph = bar_charts(forest, table)[0]
    assert graph.className == "cc-bars-scroll" and graph.children.style["minWidth"] == f"{width}px"


def test_title_lines_follow_the_width():
    title = " → ".join(SEQUENCE[1:])
    assert len(title_lines(title, 232)) > len(title_lines(title, 600)) >= 1
    assert " ".join(title_lines(title, 232)) == title
