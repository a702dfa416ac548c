"""The pages run the trimmed plotly.js (backend/present/plotly_js.py): exactly the app's trace
types are registered, with no console error (every URL of the bundle serves it:
tests/integration/test_first_paint.py); and the map still follows a real resize of the window after
assets/cc_clientside.js made Cytoscape skip the resizes that change nothing."""

from __future__ import annotations

import json
from pathlib import Path

from backend.present.plotly_js import LAZY, TRACES
from components.overview.scatter import WEBGL_THRESHOLD
from tests.browser.conftest import CY, console_errors, wait_for
from tests.browser.overview_support import open_overview
from tests.support.forests import synthetic_models_doc
from tests.support.servers import gunicorn_app

TYPES = "window.Plotly && Object.keys(window.Plotly.PlotSchema.get().traces).sort()"
CANVAS = (f"(() => {{ const cy = {CY}, r = cy.renderer(), box = cy.container();"
          "return [r.canvasWidth, r.canvasHeight, box.clientWidth, box.clientHeight]; })()")


def test_pages_register_only_the_app_trace_types(driver, demo_server):
    """At load, every type the app draws but scattergl; a scattergl figure loads it first."""
    open_overview(driver, demo_server + "/")
    assert wait_for(driver, TYPES, what="plotly.js") == sorted(set(TRACES) - set(LAZY))
    driver.execute_script("""
        const div = document.createElement('div');
        div.id = 'gl-probe'; div.style.width = '300px'; div.style.height = '200px';
        document.body.appendChild(div);
        Plotly.newPlot(div, [{type: 'scattergl', mode: 'markers', x: [1, 2, 3], y: [2, 1, 3]}])
          .then(() => { window.__glDrawn = div._fullData[0].type; });
    """)
    assert wait_for(driver, "window.__glDrawn", what="a scattergl figure") == "scattergl"
    assert driver.execute_script(f"return {TYPES};") == sorted(TRACES)
    assert console_errors(driver) == []


def test_a_forest_past_the_webgl_threshold_draws_its_scatterplot(driver, tmp_path: Path):
    """Past WEBGL_THRESHOLD models the Overview's scatterplot is scattergl: the bundle fetches
    its lazy part, once, and every model is a point."""
    n = WEBGL_THRESHOLD + 40
    config = tmp_path / "big.json"
    config.write_text(json.dumps(synthetic_models_doc(n)))
    with gunicorn_app(config, tmp_path / "cache") as url:
        driver.get(url + "/")
        graph = "document.querySelector('#overview-scatter .js-plotly-plot')"
        drawn = wait_for(driver, f"{graph} && {graph}._fullData && {graph}._fullData[0] &&"
                                 f" {graph}.querySelector('canvas') && [{graph}._fullData[0].type,"
                                 f" {graph}._fullData[0].x.length]", what="the WebGL scatterplot")
        assert drawn == ["scattergl", n]
        parts = driver.execute_script("return performance.getEntriesByType('resource')"
                                      ".filter(e => e.name.includes('plotly-gl')).length;")
        assert parts == 1
        assert console_errors(driver) == []


def test_the_map_follows_a_real_resize(driver, demo_server):
    size = driver.get_window_size()
    try:
        open_overview(driver, demo_server + "/")
        width, height, box_w, box_h = driver.execute_script(f"return {CANVAS};")
        assert (width, height) == (box_w, box_h) and width > 0  # device pixel ratio 1
        driver.set_window_size(size["width"] - 200, size["height"] - 100)
        wait_for(driver, f"{CANVAS}[0] === {CANVAS}[2] && {CANVAS}[2] < {box_w}", what="the canvas resized")
        assert driver.execute_script(f"return {CANVAS};")[1] < height
    finally:
        driver.set_window_size(size["width"], size["height"])
