"""The Model Map on the demo in headless Chromium: the column-header strip (readable, in view,
following pan and zoom, a click selects the column), the whole forest fitted on load, the edge
hover card, collapsing and expanding subtrees, and a bookmarked selection's compare buttons."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlsplit

from backend.overview.collapse import edge_deltas
from backend.overview.drawing import drawn_layout
from backend.present.formatting import format_metric
from tests.browser.conftest import CY, click_at, console_errors, screenshot, wait_for
from tests.browser.overview_support import (
    HEADING,
    HEADS,
    header,
    heading,
    map_point,
    move_to,
    open_overview,
    query,
    selected,
    zoom_on,
)

STRIP = "document.querySelector('.cc-colheads')"


def _column(forest, index: int, keep=lambda m: True) -> set[str]:
    positions = drawn_layout(forest, "op", ())[0].positions
    return {mid for mid, (col, _) in positions.items() if col == index and keep(forest[mid])}


def _boxes(driver) -> dict:
    return driver.execute_script(f"""
        const pane = document.querySelector('.cc-map-pane').getBoundingClientRect();
        const strip = {STRIP}.getBoundingClientRect();
        const cy = {CY}, c = cy.container().getBoundingClientRect();
        const nodes = cy.nodes().filter(n => !n.hasClass('colhead')).map(n => {{
          const b = n.renderedBoundingBox({{includeLabels: false}});
          return [n.id(), c.left + b.x1, c.top + b.y1, c.left + b.x2, c.top + b.y2]; }});
        const heads = {HEADS}.map(e => {{ const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
          return {{label: e.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                  font: parseFloat(s.fontSize), clipped: e.scrollWidth > e.clientWidth + 1,
                  transform: s.transform}}; }});
        return {{pane: [pane.left, pane.top, pane.right, pane.bottom], strip: [strip.top, strip.bottom],
                 nodes: nodes, heads: heads, zoom: cy.zoom()}};""")


def test_headers_readable_in_view_whole_forest_fitted_and_following_pan(driver, demo_server, demo_experiment):
    forest = demo_experiment.forest
    open_overview(driver, demo_server + "/")
    columns = drawn_layout(forest, "op", ())[0].columns
    seen = _boxes(driver)
    left, top, right, bottom = seen["pane"]
    assert [h["label"] for h in seen["heads"]] == columns  # one label per column, in order
    for h in seen["heads"]:  # readable, whole, inside the map (the last column too), in the strip
        assert h["font"] >= 11 and not h["clipped"], h
        assert left <= h["left"] and h["right"] <= right and top <= h["top"], (h, seen["pane"])
        assert h["bottom"] <= seen["strip"][1] + 1, h
    assert seen["zoom"] < 0.5 and all(h["transform"] != "none" for h in seen["heads"])  # slanted
    a, b = map(float, seen["heads"][0]["transform"][len("matrix("):].split(",")[:2])
    assert abs(math.degrees(math.atan2(b, a)) + 45) < 0.5  # turned −45°, as the reference
    # the whole forest is in view on load, both roots included, below the strip
    assert len(seen["nodes"]) == len(forest)
    for mid, x1, y1, x2, y2 in seen["nodes"]:
        assert left <= x1 and x2 <= right and seen["strip"][1] <= y1 and y2 <= bottom, mid
    assert {m.id for m in forest if m.base is None} <= {n[0] for n in seen["nodes"]}
    screenshot(driver, "overview-demo-headers.png")
    # a vertical pan leaves the strip where it is; a horizontal one moves every label with it
    driver.execute_script(f"{CY}.panBy({{x: 40, y: -150}});")
    wait_for(driver, f"Math.abs({HEADS}[0].getBoundingClientRect().left - {seen['heads'][0]['left'] + 40}) < 1",
             what="the labels following the pan")
    moved = _boxes(driver)
    assert moved["strip"] == seen["strip"]
    for before, after in zip(seen["heads"], moved["heads"], strict=True):
        assert abs(after["left"] - before["left"] - 40) < 1 and abs(after["top"] - before["top"]) < 1
    # zoomed in past 0.5 the labels are horizontal, one column wide, and still follow the map
    driver.execute_script(f"{CY}.zoom({{level: 0.8, renderedPosition: {{x: 100, y: 300}}}});")
    wait_for(driver, f"getComputedStyle({HEADS}[0]).transform.startsWith('matrix(1, 0, 0, 1')",
             what="horizontal labels")
    centre = driver.execute_script(
        f"const cy = {CY}, n = cy.nodes('.colhead')[0], c = cy.container().getBoundingClientRect();"
        f"const r = {HEADS}[0].getBoundingClientRect();"
        "return [c.left + n.renderedPosition().x, (r.left + r.right) / 2, r.width, 192 * cy.zoom()];")
    assert abs(centre[0] - centre[1]) < 2 and centre[2] <= centre[3]
    assert console_errors(driver) == []


def test_column_header_click_selects_the_column_shift_adds_filter_excludes(driver, demo_server, demo_experiment):
    forest = demo_experiment.forest
    open_overview(driver, demo_server + "/")
    quantize = header(driver, "quantize")
    click_at(driver, quantize["x"], quantize["y"])
    want = _column(forest, quantize["column"])
    assert len(want) >= 2
    wait_for(driver, f"{HEADING} === '{len(want)} Models Selected'", what="the column selected")
    assert selected(driver) == want
    wait_for(driver, "location.search.includes('sel=')", what="the selection in the URL")
    assert set(query(driver)["sel"][0].split(",")) == want
    pruned = header(driver, "gradient prune")
    click_at(driver, pruned["x"], pruned["y"], shift=True)
    more = want | _column(forest, pruned["column"])
    wait_for(driver, f"{HEADING} === '{len(more)} Models Selected'", what="shift-click adding a column")
    assert selected(driver) == more
    # with a filter on, the filtered-out models of the column are left out
    open_overview(driver, demo_server + "/?filter=Accuracy:0.9:1")
    head = header(driver, "global magnitude prune")
    click_at(driver, head["x"], head["y"])
    passing = _column(forest, head["column"], lambda m: 0.9 <= m.metrics["Accuracy"] <= 1)
    failing = _column(forest, head["column"]) - passing
    assert passing and failing
    wait_for(driver, f"{HEADING} === '{len(passing)} Models Selected'", what="the passing part of the column")
    assert selected(driver) == passing
    assert console_errors(driver) == []


def test_edge_hover_card_shows_the_operation_and_deltas(driver, demo_server, demo_experiment):
    forest = demo_experiment.forest
    child = "cnn-gprune98-ft"
    parent = forest[child].base
    open_overview(driver, demo_server + "/")
    zoom_on(driver, child, 1.0)
    src, dst = driver.execute_script(
        f"const cy = {CY}; return [cy.getElementById(arguments[0]).position(),"
        " cy.getElementById(arguments[1]).position()];", parent, child)
    # a point on the edge's last (horizontal) stretch, clear of the child's circle
    x = dst["x"] - 0.2 * (dst["x"] - src["x"])
    move_to(driver, *map_point(driver, x, dst["y"]))
    wait_for(driver, "!document.querySelector('#overview-hover-card').hidden", what="the edge hover card")
    card = driver.find_element("id", "overview-hover-card").text
    assert f"fine-tune: {parent} → {child}" in card, card
    assert "Δ vs parent" in card and "Δ vs root" in card
    for row in edge_deltas(forest, child):
        spec = forest.metric(row["metric"])
        delta = format_metric(abs(row["parent_abs"]), spec.format)  # its sign is "+" or "−"
        assert row["metric"] in card and delta in card, (row, card)
    move_to(driver, *map_point(driver, x, dst["y"] - 50))  # off the edge, on empty map
    wait_for(driver, "document.querySelector('#overview-hover-card').hidden", what="the card hidden again")
    assert console_errors(driver) == []


def test_collapse_and_expand_subtrees(driver, demo_server, demo_experiment):
    forest = demo_experiment.forest
    top = "cnn-gprune98"
    below = forest.descendants(top)
    assert len(below) == 4
    drawn = f"{CY}.nodes().filter(n => !n.hasClass('colhead')).length"
    open_overview(driver, demo_server + f"/?sel={top}")
    wait_for(driver, f"{HEADING} === '1 Model Selected: {top}'")
    driver.find_element("id", "overview-collapse").click()
    wait_for(driver, f"{drawn} === {len(forest) - len(below)}", what="the subtree collapsed")
    node = driver.execute_script(f"const n = {CY}.getElementById(arguments[0]);"
                                 "return [n.hasClass('collapsed'), n.data('badge')];", top)
    assert node == [True, f"+{len(below)}"]
    assert not any(driver.execute_script(f"return {CY}.getElementById(arguments[0]).length;", m) for m in below)
    assert driver.execute_script(f"return {CY}.edges().filter(e => e.source().id() === arguments[0]).length;",
                                 top) == 0
    # the header strip follows the new columns
    wait_for(driver, f"{HEADS}.map(e => e.textContent).join('|') === "
                     f"{CY}.nodes('.colhead').sort((a, b) => a.data('column') - b.data('column'))"
                     ".map(n => n.data('label')).join('|')", what="headers of the collapsed map")
    screenshot(driver, "overview-demo-collapsed.png")
    # labels are drawn from a readable zoom on (and only measured then); the badge still wins
    label = f"return {CY}.getElementById(arguments[0]).style('label');"
    other = next(m.id for m in forest if m.operation is not None and m.id != top and m.id not in below)
    assert driver.execute_script(label, other) == ""  # fitted: far too small to read
    zoom_on(driver, other, 1.5)
    wait_for(driver, f"{CY}.getElementById('{other}').style('label') !== ''", what="labels once readable")
    assert driver.execute_script(label, other) == driver.execute_script(
        f"return {CY}.getElementById(arguments[0]).data('params');", other)
    assert driver.execute_script(label, top) == f"+{len(below)}"
    screenshot(driver, "overview-demo-zoomed-labels.png")
    driver.find_element("id", "overview-expand-all").click()
    wait_for(driver, f"{drawn} === {len(forest)}", what="everything expanded")
    assert not driver.execute_script(f"return {CY}.nodes('.collapsed').length;")
    assert selected(driver) == {top}
    assert console_errors(driver) == []


def test_bookmarked_selection_enables_the_compare_buttons(driver, demo_server, demo_experiment):
    forest = demo_experiment.forest
    chosen = ["cnn-iter75", "cnn-gprune50", "cnn-gprune50-ft"]
    assert min(chosen, key=forest.depth) == "cnn-gprune50"
    open_overview(driver, demo_server + "/?sel=" + ",".join(chosen))
    wait_for(driver, f"{HEADING} === '3 Models Selected'")
    for button in ("overview-behaviors", "overview-layers"):
        link = driver.find_element("id", button)
        assert "cc-disabled" not in link.get_attribute("class")
        href = parse_qs(urlsplit(link.get_attribute("href")).query)
        assert href["base"] == ["cnn-gprune50"], href
        assert href["models"][0].split(",")[0] == "cnn-gprune50"  # the base first
        assert set(href["models"][0].split(",")) == set(chosen)
    page = urlsplit(driver.find_element("id", "overview-behaviors").get_attribute("href")).path
    driver.find_element("id", "overview-behaviors").click()
    wait_for(driver, f"location.pathname === {page!r} && location.search.includes('base=cnn-gprune50')",
             what="the Behaviors page of the selection")
    # one model: both buttons disabled
    open_overview(driver, demo_server + "/?sel=cnn-gprune50")
    assert heading(driver) == "1 Model Selected: cnn-gprune50"
    assert "cc-disabled" in driver.find_element("id", "overview-layers").get_attribute("class")
    assert console_errors(driver) == []


# registered before the page's own scripts, so its observer runs before assets/cc_clientside.js's
FIRST_FRAME = """
new MutationObserver(function (records, watch) {
  const el = document.getElementById('overview-map');
  const cy = el && el._cyreg && el._cyreg.cy;
  if (!cy) return;
  watch.disconnect();
  cy.one('render', () => {
    window.__ccFirstFrame = [cy.zoom(), cy.pan(), cy.nodes(':selected').map(n => n.id()).sort()];
  });
}).observe(document, {childList: true, subtree: true});
"""


def test_the_first_frame_is_the_fitted_map_with_the_bookmarked_selection(driver, demo_server):
    """The map is fitted and the URL's models selected before Cytoscape draws anything: its
    first frame is the one the page keeps (no frame at zoom 1, then another)."""
    chosen = sorted(["cnn-iter75", "cnn-gprune50"])
    script = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FIRST_FRAME})
    try:
        open_overview(driver, demo_server + "/?sel=" + ",".join(chosen))
        first = wait_for(driver, "window.__ccFirstFrame", what="the map's first frame")
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", script)
    now = driver.execute_script(f"const cy = {CY}; return [cy.zoom(), cy.pan(), "
                                "cy.nodes(':selected').map(n => n.id()).sort()];")
    assert first[2] == chosen == now[2]
    assert math.isclose(first[0], now[0]) and first[0] != 1
    assert math.isclose(first[1]["x"], now[1]["x"]) and math.isclose(first[1]["y"], now[1]["y"])
    assert console_errors(driver) == []
