"""The snapshot file's assembly (backend.snapshot): escaping, header, figures, no network refs."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from backend.snapshot import (
    MapColumn,
    MapEdge,
    MapNode,
    Section,
    Snapshot,
    figure_slot,
    map_svg,
    render,
    table,
)
from backend.snapshot.plotly_inline import script_json

HOSTILE = '<script>alert("x")</script>'
WHEN = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
NETWORK_REF = re.compile(r"""<(?:script|link|img|iframe|source)[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def _nodes() -> list[MapNode]:
    return [MapNode("root", 10, 10, 40, "#111111", "#f2f2f2", selected=True),
            MapNode(HOSTILE, 200, 80, 20, "#cccccc", "#d1d5db", faded=True, tooltip=f"AMOUNT {HOSTILE}"),
            MapNode("front", 200, 160, 30, "#888888", "#d1d5db", front=True, badge="+3")]


def _snapshot() -> Snapshot:
    svg = map_svg(_nodes(), [MapEdge("root", HOSTILE, 2.0, ("#111111", "#cccccc"))],
                  [MapColumn(HOSTILE, 10, 40)])
    figure = {"data": [{"type": "bar", "x": [HOSTILE], "y": [1]}], "layout": {"title": {"text": HOSTILE}}}
    return Snapshot(
        experiment=f"exp {HOSTILE}", page="Overview", url=f"/?sel={HOSTILE}", exported=WHEN,
        facts=[("Selection", f"root, {HOSTILE}"), ("Filters", f"{HOSTILE} in [0, 1]")],
        notices=[f"Ignored in the URL: {HOSTILE}"],
        sections=[Section("Model map", svg, wide=True), Section("Chart", figure_slot(0, 300)),
                  Section("Table", table(["Model", "Accuracy"], [[HOSTILE, "97.4%"]]))],
        figures=[figure], css="body{}</style><script>bad()</script>",
    )


def test_hostile_strings_stay_text_everywhere():
    page = render(_snapshot())
    assert "<script>alert" not in page and "<script>bad" not in page
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 6  # header, map, table
    assert "\\u003cscript\\u003e" in page  # inside the figures' JSON
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert len(scripts) == 3, scripts  # the figures' JSON, plotly.js, the boot script: no other


def test_header_names_experiment_selection_filters_and_date():
    page = render(_snapshot())
    header = page[page.index("<header"):page.index("</header>")]
    for expected in ("exp &lt;script&gt;", "Overview", "Selection", "root, &lt;script&gt;", "Filters",
                     " in [0, 1]", "2025-03-04 05:06:07 UTC", "Ignored in the URL"):
        assert expected in header, expected


def test_plotly_inlined_once_and_the_figure_slot_present():
    page = render(_snapshot())
    assert page.count('id="snap-plotly"') == 1 and page.count('class="snap-fig" data-fig="0"') == 1
    assert not NETWORK_REF.search(page)
    assert not re.search(r"https?://", page.split('id="snap-plotly"')[0])  # nothing before the bundle


def test_without_figures_no_plotly():
    s = _snapshot()
    page = render(Snapshot(s.experiment, "Layers", "/layers", WHEN, sections=s.sections[2:]))
    assert "snap-plotly" not in page and len(page) < 20_000


def test_map_svg_one_node_per_model_with_title_tooltips():
    svg = map_svg(_nodes(), [], [])
    assert len(re.findall(r'class="snap-node[" ]', svg)) == 3 and svg.count("<title>") == 3
    assert "<polygon" in svg and svg.count("<circle") == 2  # the front's node is a diamond
    assert 'stroke="#60a5fa" stroke-width="4"' in svg  # the selected model's ring
    assert 'opacity="0.1"' in svg  # a filtered-out model is faded


def test_script_json_cannot_close_its_element():
    assert "</" not in script_json({"a": "</script><!--"})


def _note(i: int, note: str, status: str = "regression", model: str = "root"):
    from backend.annotations.records import Annotation

    when = datetime(2025, 3, 4, 5, i % 60, tzinfo=UTC)
    return Annotation(i, "model", model, None, "global", status, note, f"alice {HOSTILE}", when, when)


def test_review_notes_stay_inert_text():
    from backend.snapshot import notes_section

    hostile = "<script>alert(1)</script>"
    section = notes_section([_note(1, hostile, model=HOSTILE), _note(2, "fine", "approved")])
    page = render(Snapshot("exp", "Overview", "/", WHEN, sections=[section]))
    assert "<script>alert" not in page and re.findall(r"<script\b", page) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "Review notes" in page
    assert "2025-03-04 05:01 UTC" in page and "cc-flag-regression" in page and "alice &lt;script&gt;" in page
    assert page.index("fine") < page.index("alert(1)")  # newest first


def test_review_notes_capped_and_unavailable_is_one_line():
    from backend.snapshot import notes_section

    many = notes_section([_note(i, f"note {i}") for i in range(205)], limit=200)
    assert many.body.count("<tr>") == 201 and "… 5 more" in many.body  # header row + 200
    down = notes_section(None, problem="annotations: sqlite:///x: unable to open database file")
    assert down.body.count("<p") == 1 and "unable to open database file" in down.body
    assert "No review notes" in notes_section([]).body


def test_flagged_model_has_a_ring_in_its_status_colour_and_title():
    from backend.snapshot import flag_color

    nodes = [MapNode("root", 10, 10, 40, "#111111", "#f2f2f2", flag="regression"),
             MapNode("b", 100, 10, 40, "#111111", "#f2f2f2", selected=True, flag="needs review"),
             MapNode("c", 200, 10, 40, "#111111", "#f2f2f2", front=True, flag=HOSTILE)]
    svg = map_svg(nodes, [], [])
    assert svg.count('class="snap-flag"') == 3 and "<script>" not in svg
    assert 'stroke="#dc2626" stroke-width="3"' in svg and 'stroke="#f59e0b" stroke-width="3"' in svg
    assert flag_color("approved") == "#16a34a" and flag_color("wontfix") == "#6b7280"
    assert "<title>root\nreview: regression</title>" in svg
    assert map_svg([MapNode("d", 1, 1, 10, "#111111", "#f2f2f2")], [], []).count("snap-flag") == 0
