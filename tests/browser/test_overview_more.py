"""The Overview's scatterplot selection and Filter tab on the demo in headless Chromium: box,
lasso and click selection that never takes a filtered-out model, the grey-behind-blue
cross-filtered histograms, and adding, brushing and removing filter rows."""

from __future__ import annotations

import time

import numpy as np

from tests.browser.conftest import CY, click_at, console_errors, page_json, screenshot, wait_for
from tests.browser.overview_support import (
    HEADING,
    POINTS,
    RECORD_URLS,
    drag,
    open_overview,
    query,
    selected,
    written_selections,
)

FILTER = "Accuracy:0.9:1"
HISTS = "[...document.querySelectorAll('.cc-filter-hist .js-plotly-plot')]"
GREY, BLUE = "#e5e7eb", "#3378F6"
STORE = (  # a dcc.Store's data, read from Dash's renderer state
    "(() => { const st = window.dash_stores[0].getState(); const p = st.paths.strs[arguments[0]];"
    " if (!p) return null; let n = st.layout; for (const k of p) n = n[k]; return n.props.data; })()"
)


def _passing(forest, lo: float = 0.9, hi: float = 1.0) -> set[str]:
    acc = forest.column("Accuracy")
    return {mid for mid, v in zip(forest.ids, acc, strict=True) if lo <= v <= hi}


def _plot_rect(driver) -> dict:
    return driver.execute_script(
        "const r = document.querySelector('#overview-scatter .nsewdrag').getBoundingClientRect();"
        "return {x: r.left, y: r.top, w: r.width, h: r.height};")


def _points(driver) -> list[dict]:
    """Each model's scatter point: id, centre, whether it is faded."""
    return page_json(driver, f"""(() => {{
        const gd = document.querySelector('#overview-scatter .js-plotly-plot');
        const ids = gd.data[0].customdata, op = gd.data[0].marker.opacity;
        return [...document.querySelectorAll('{POINTS}')].map((p, i) => {{
          const r = p.getBoundingClientRect();
          return {{id: ids[i], x: r.left + r.width / 2, y: r.top + r.height / 2,
                  faded: Array.isArray(op) ? op[i] < 0.5 : false}}; }});
    }})()""")


def _isolated(points: list[dict], faded: bool, gap: float = 6, besides: str | None = None) -> dict:
    """The point of the wanted kind farthest from any other point. Plotly's hover picks the
    closest point to the cursor, so a click on a centre at least ``gap`` px from every other
    centre hits that point alone (the demo's passing models sit in one cluster, so a fixed
    larger gap failed on a machine where they drew closer together)."""

    def room(p: dict) -> float:
        return min(((q["x"] - p["x"]) ** 2 + (q["y"] - p["y"]) ** 2) ** 0.5 for q in points if q is not p)

    kind = [p for p in points if p["faded"] == faded and p["id"] != besides]
    assert kind, f"no {'faded' if faded else 'passing'} point"
    best = max(kind, key=room)
    assert room(best) > gap, f"every {'faded' if faded else 'passing'} point is within {gap} px of another"
    return best


def test_scatter_box_and_clicks_never_select_filtered_out_models(driver, demo_server, demo_experiment):
    forest = demo_experiment.forest
    passing = _passing(forest)
    assert 0 < len(passing) < len(forest)
    open_overview(driver, demo_server + f"/?filter={FILTER}")
    wait_for(driver, f"{CY}.nodes('.faded').length === {len(forest) - len(passing)}", what="faded map nodes")
    driver.execute_script(RECORD_URLS)
    r = _plot_rect(driver)
    drag(driver, [(r["x"] + 2, r["y"] + 2), (r["x"] + r["w"] / 2, r["y"] + r["h"] / 2),
                  (r["x"] + r["w"] - 2, r["y"] + r["h"] - 2)])
    wait_for(driver, f"{HEADING} === '{len(passing)} Models Selected'", what="the box selection")
    assert selected(driver) == passing
    wait_for(driver, "location.search.includes('sel=')")
    assert set(query(driver)["sel"][0].split(",")) == passing
    assert all(s <= passing for s in written_selections(driver))  # not even for a moment
    screenshot(driver, "overview-demo-scatter-box.png")
    # a click on a passing point selects it alone, shift-click adds another
    points = _points(driver)
    one = _isolated(points, faded=False)
    click_at(driver, one["x"], one["y"])
    wait_for(driver, f"{HEADING} === '1 Model Selected: {one['id']}'", what="the clicked point")
    two = _isolated(points, faded=False, besides=one["id"])
    time.sleep(1)  # two quick clicks are a Plotly double click, which deselects (not a timing assert)
    click_at(driver, two["x"], two["y"], shift=True)
    wait_for(driver, f"{HEADING} === '2 Models Selected'",
             what=f"shift-click adding {two['id']} to {one['id']}")
    assert selected(driver) == {one["id"], two["id"]}
    # a click on a filtered-out point selects nothing (and clears, as on the map)
    off = _isolated(points, faded=True)
    time.sleep(1)
    click_at(driver, off["x"], off["y"])
    wait_for(driver, f"{HEADING} === 'No models selected'", what="the selection cleared")
    assert off["id"] not in selected(driver)
    assert all(s <= passing for s in written_selections(driver))
    assert console_errors(driver) == []


def test_scatter_lasso_selects_the_points_inside(driver, demo_server, demo_experiment):
    forest = demo_experiment.forest
    passing = _passing(forest)
    open_overview(driver, demo_server + f"/?filter={FILTER}")
    driver.find_element("css selector", "#overview-scatter .modebar-btn[data-val='lasso']").click()
    wait_for(driver, "document.querySelector('#overview-scatter .js-plotly-plot')._fullLayout.dragmode === 'lasso'")
    r = _plot_rect(driver)
    # a triangle over the left part of the plot
    tri = [(r["x"] + 2, r["y"] + 2), (r["x"] + r["w"] * 0.45, r["y"] + 2), (r["x"] + 2, r["y"] + r["h"] - 2)]
    path = [tri[0], *[(tri[0][0] + (tri[1][0] - tri[0][0]) * t / 8, tri[0][1]) for t in range(1, 9)],
            *[(tri[1][0] + (tri[2][0] - tri[1][0]) * t / 8, tri[1][1] + (tri[2][1] - tri[1][1]) * t / 8)
              for t in range(1, 9)], (tri[0][0], (tri[0][1] + tri[2][1]) / 2), tri[0]]
    points = _points(driver)

    def depth(p: dict) -> float:
        """Signed distance (px) inside the triangle: to its two legs and its hypotenuse."""
        (x0, y0), (x1, _), (_, y2) = tri
        a, b = x1 - x0, y2 - y0
        hyp = (1 - (p["x"] - x0) / a - (p["y"] - y0) / b) / np.hypot(1 / a, 1 / b)
        return min(p["x"] - x0, p["y"] - y0, hyp)

    inside = {p["id"] for p in points if depth(p) > 4 and not p["faded"]}
    outside = {p["id"] for p in points if depth(p) < -4}
    assert inside and outside
    drag(driver, path)
    wait_for(driver, f"{CY}.nodes(':selected').length > 0", what="the lasso selection")
    got = selected(driver)
    assert inside <= got and not (got & outside) and got <= passing, (inside, got)
    assert console_errors(driver) == []


def _histograms(driver) -> list[dict]:
    return page_json(driver, f"""{HISTS}.map(g => g.data.map(t => ({{
        name: t.name, color: t.marker.color, x: Array.from(t.x), y: Array.from(t.y),
        width: Array.from(t.width)}})))""")


def _recount(values: np.ndarray, trace: dict) -> list[int]:
    """The models of ``values`` in each bar of ``trace`` (the last bar closes the range)."""
    out = []
    edges = [(x - w / 2, x + w / 2) for x, w in zip(trace["x"], trace["width"], strict=True)]
    for i, (lo, hi) in enumerate(edges):
        last = i == len(edges) - 1
        inside = (values >= lo - 1e-9) & ((values <= hi + 1e-9) if last else (values < hi - 1e-9))
        out.append(int(inside.sum()))
    return out


def test_histograms_grey_all_models_behind_blue_passing(driver, demo_server, demo_experiment):
    forest = demo_experiment.forest
    acc, lat = forest.column("Accuracy"), forest.column("Latency")
    open_overview(driver, demo_server + "/?tab=filter", scatter=False)
    wait_for(driver, f"{HISTS}.length === 1 && {HISTS}[0].data", what="one histogram")
    plain = _histograms(driver)[0]
    assert [t["color"] for t in plain] == [BLUE]  # no filter: all models in blue only
    assert plain[0]["y"] == _recount(acc, plain[0]) and sum(plain[0]["y"]) == len(forest)
    open_overview(driver, demo_server + f"/?tab=filter&filter={FILTER};Latency:0:3", scatter=False)
    wait_for(driver, f"{HISTS}.length === 2 && {HISTS}.every(g => g.data && g.data.length === 2)",
             what="two cross-filtered histograms")
    passing = (acc >= 0.9) & (acc <= 1) & (lat >= 0) & (lat <= 3)
    assert 0 < passing.sum() < len(forest)
    for values, (grey, blue) in zip((acc, lat), _histograms(driver), strict=True):
        assert (grey["color"], blue["color"]) == (GREY, BLUE)  # grey drawn first: behind
        assert grey["x"] == blue["x"] and grey["width"] == blue["width"]
        assert grey["y"] == _recount(values, grey)  # grey: every model
        assert blue["y"] == _recount(values[passing], blue)  # blue: the models passing every filter
    wait_for(driver, f"{CY}.nodes('.faded').length === {len(forest) - int(passing.sum())}", what="the map faded")
    screenshot(driver, "filter-demo-crossfilter.png")
    assert console_errors(driver) == []


def test_add_brush_and_remove_filter_rows(driver, demo_server, demo_experiment):
    forest = demo_experiment.forest
    names = [m.name for m in forest.metrics]
    open_overview(driver, demo_server + "/?tab=filter", scatter=False)
    rows = "document.querySelectorAll('.cc-filter-row')"
    wait_for(driver, f"{rows}.length === 1")
    driver.find_element("id", "overview-filter-add").click()
    wait_for(driver, f"{rows}.length === 2 && {HISTS}.length === 2", what="a second filter row")
    metrics = driver.execute_script(f"return [...{rows}].map(r => r.querySelector('.cc-dropdown').innerText.trim());")
    assert metrics == names[:2]  # the next unused metric
    # brush the new row's histogram over its upper half: the map fades the rest
    r = driver.execute_script(f"const g = {HISTS}[1]; g.scrollIntoView({{block: 'center'}});"
                              "const r = g.querySelector('.nsewdrag').getBoundingClientRect();"
                              "return {x: r.left, y: r.top, w: r.width, h: r.height};")
    y = r["y"] + r["h"] / 2
    drag(driver, [(r["x"] + r["w"] * 0.5, y), (r["x"] + r["w"] * 0.7, y), (r["x"] + r["w"] - 1, y)])
    wait_for(driver, "location.search.includes('filter=')", what="the brush in the URL")
    assert query(driver)["filter"][0].startswith(names[1] + ":")
    brush = driver.execute_script(f"return {STORE};", "overview-filter-rows")[1]  # exact, not rounded
    assert brush["metric"] == names[1]
    values = forest.column(names[1])
    out = int((~((values >= brush["lo"]) & (values <= brush["hi"]))).sum())
    assert 0 < out < len(forest)
    wait_for(driver, f"{CY}.nodes('.faded').length === {out}", what=f"the filtered map ({brush}: {out} out)")
    assert f"({len(forest) - out} of {len(forest)})" in driver.find_element("id", "overview-tab").text
    # removing that row removes its filter
    driver.find_elements("css selector", ".cc-filter-row .cc-filter-head button[title='Remove this filter']")[1].click()
    wait_for(driver, f"{rows}.length === 1 && {CY}.nodes('.faded').length === 0", what="the row and its filter gone")
    wait_for(driver, "!location.search.includes('filter=')", what="the filter gone from the URL")
    assert "(" not in driver.find_element("id", "overview-tab").text
    # the last row removed: no rows, Clear all disabled, + Add filter brings one back
    driver.find_element("css selector", ".cc-filter-row button[title='Remove this filter']").click()
    wait_for(driver, f"{rows}.length === 0 && document.getElementById('overview-filter-clear').disabled",
             what="no rows left")
    driver.find_element("id", "overview-filter-add").click()
    wait_for(driver, f"{rows}.length === 1", what="a row again")
    assert driver.execute_script(f"return {rows}[0].querySelector('.cc-dropdown').innerText.trim();") == names[0]
    assert console_errors(driver) == []
