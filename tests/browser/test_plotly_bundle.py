"""The pages run the trimmed plotly.js (backend/present/plotly_js.py): exactly the app's trace
types are registered, with no console error (every URL of the bundle serves it:
tests/integration/test_first_paint.py); and the map still follows a real resize of the window after
assets/cc_clientside.js made Cytoscape skip the resizes that change nothing."""

from __future__ import annotations

from backend.present.plotly_js import TRACES
from tests.browser.conftest import CY, console_errors, wait_for
from tests.browser.overview_support import open_overview

TYPES = "window.Plotly && Object.keys(window.Plotly.PlotSchema.get().traces).sort()"
CANVAS = (f"(() => {{ const cy = {CY}, r = cy.renderer(), box = cy.container();"
          "return [r.canvasWidth, r.canvasHeight, box.clientWidth, box.clientHeight]; })()")


def test_pages_register_only_the_app_trace_types(driver, demo_server):
    open_overview(driver, demo_server + "/")
    assert wait_for(driver, TYPES, what="plotly.js") == sorted(TRACES)
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
