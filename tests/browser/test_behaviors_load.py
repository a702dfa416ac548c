"""Behaviors in a real browser on the demo: load, relative mode, sort, brush, drill in, page, reload.

The models tell the demo's second story: heavy pruning (even after fine-tuning) hurts the
under-represented digits most.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import console_errors, pointer_gesture, screenshot, wait_for

MODELS = ["cnn", "cnn-gprune95-ft", "cnn-iter98-ft"]
GRID_ROWS = "document.querySelectorAll('.bh-grid .ag-center-cols-container .ag-row').length"
FIRST_ITEM = ("document.querySelector('.bh-grid .ag-pinned-left-cols-container .ag-row[row-index]')"
              "?.innerText")


def _query(driver) -> dict[str, list[str]]:
    return parse_qs(urlsplit(driver.current_url).query)


def _wait_query(driver, key: str, value: str | None, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        q = _query(driver)
        if (q.get(key, [None])[0] == value) if value is not None else key in q:
            return q
        if time.monotonic() > deadline:
            raise AssertionError(f"URL never got {key}={value}: {driver.current_url}")
        time.sleep(0.1)


def _settled_rows(driver) -> None:
    """Wait until the grid shows rows (loading predictions first if this test runs alone)."""
    state = wait_for(driver, f"({GRID_ROWS}) ? 'rows' : (document.querySelector('#behaviors-empty')"
                             "?.innerText.includes('No predictions') ? 'empty' : '')", timeout=60, what="a view")
    if state == "empty":
        driver.find_element("id", "behaviors-load").click()
    wait_for(driver, GRID_ROWS, timeout=180, what="rows")
    wait_for(driver, "!document.querySelector('[data-dash-is-loading=\"true\"]')", what="callbacks settled")
    wait_for(driver, GRID_ROWS, what="rows after settling")


def _item_texts(driver, page: int = 0) -> list[str]:
    """The item column of one 50-row page, in row order (rows of other pages are ignored)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.bh-grid .ag-pinned-left-cols-container .ag-row')]"
        ".filter(r => Math.floor(+r.getAttribute('row-index') / 50) === arguments[0])"
        ".sort((a, b) => +a.getAttribute('row-index') - +b.getAttribute('row-index'))"
        ".map(r => r.innerText.replace(/\\s+/g, ' ').trim());", page)


def _stable_items(driver, page: int = 0, timeout: float = 30.0) -> list[str]:
    """The item column once callbacks settled and two reads 0.3 s apart agree (the grid
    fetches and draws rows asynchronously, so one read can catch it half-way)."""
    deadline = time.monotonic() + timeout
    last: list[str] | None = None
    while True:
        busy = driver.execute_script("return !!document.querySelector('[data-dash-is-loading=\"true\"]')"
                                     " || !!document.querySelector('.bh-grid .ag-loading, .bh-grid .ag-skeleton-container');")
        items = [] if busy else _item_texts(driver, page)
        if items and items == last:
            return items
        if time.monotonic() > deadline:
            raise AssertionError(f"rows of page {page} never settled: {items}")
        last = items
        time.sleep(0.3)


def _assert_same_page(got: list[str], want: list[str]) -> None:
    """The grid draws only the rows in view plus a buffer, so two renderings of one page can
    differ in how many rows they drew; the rows both drew must be the same, in the same order."""
    n = min(len(got), len(want))
    assert n >= 8, (got, want)  # at least the visible rows of the 9-row viewport
    assert got[:n] == want[:n]


def test_load_predictions_progress_then_cache(driver, demo_server, demo_experiment):
    url = demo_server + "/behaviors?models=" + ",".join(MODELS) + "&base=cnn"
    driver.get(url)
    wait_for(driver, "document.querySelector('#behaviors-load')", what="the Load predictions button")
    assert "No predictions yet" in wait_for(driver, "document.querySelector('#behaviors-empty')?.innerText",
                                            what="the empty state")
    driver.find_element("id", "behaviors-load").click()
    try:
        wait_for(driver, GRID_ROWS, timeout=180, what="rows after loading")
    finally:
        screenshot(driver, "behaviors-after-load.png")
    assert "Predictions ready" in driver.find_element("id", "behaviors-status").text
    progress = driver.execute_script("const p = document.querySelector('#behaviors-progress');"
                                     "return [p.value, p.max];")
    assert float(progress[0]) == float(progress[1]) > 0  # the bar reached its end
    # Class level, Absolute Correctness: the Dataset row's mean equals each model's recorded accuracy.
    summary = driver.find_element("id", "behaviors-summary").text
    for mid in MODELS:
        recorded = demo_experiment.forest[mid].metrics["Accuracy"]
        assert f"{recorded * 100:.1f}% Correctness" in summary, (mid, recorded, summary)
    assert len(_stable_items(driver)) == 10  # ten digit classes
    screenshot(driver, "behaviors-classes.png")
    driver.get("about:blank")
    driver.get(url)  # a reload (any worker) shows the cached result at once, no button press
    wait_for(driver, GRID_ROWS, what="rows from the cache")
    assert console_errors(driver) == []


def test_relative_sort_brush_drill_page_and_reload(driver, demo_server):
    driver.get(demo_server + "/behaviors?models=" + ",".join(MODELS) + "&base=cnn")
    _settled_rows(driver)
    # Relative mode: class rows show the change in correctness relative to the base.
    driver.find_element("css selector", "#behaviors-mode input[value='relative']").click()
    _wait_query(driver, "mode", "relative")
    wait_for(driver, "document.querySelector('.bh-top-title')?.innerText.includes('Base ▸ Model')",
             what="relative summary")
    # Sort by the heaviest-pruned model's change, greatest first: the worst-hit classes on top.
    header = driver.find_element("css selector", ".bh-grid .ag-header-cell[col-id='m2'] .ag-header-cell-label")
    header.click()  # none -> desc (spec: none, desc, asc)
    _wait_query(driver, "sort", "cnn-iter98-ft:desc")
    wait_for(driver, FIRST_ITEM, what="sorted rows")
    worst = _stable_items(driver)[0]
    assert worst.split()[0] in ("3", "8"), worst  # an under-represented digit is hurt most
    screenshot(driver, "behaviors-relative-sorted.png")
    # Drill into that class: the instance level, filtered to it.
    driver.execute_script(
        "document.querySelector('.bh-grid .ag-pinned-left-cols-container .ag-row[row-index=\"0\"] .bh-class')"
        ".click();")
    q = _wait_query(driver, "level", "instance")
    assert q["class"] == [worst.split()[0]]
    wait_for(driver, "document.querySelector('.bh-grid .bh-thumb')", what="instance images")
    # Brush the base-vs-model histogram of the last model on its negative side (instances that got worse).
    hist = driver.find_element("css selector", ".bh-hist[id*='cnn-iter98-ft'] .nsewdrag")
    box = driver.execute_script("const r = arguments[0].getBoundingClientRect();"
                                "return {x: r.left, y: r.top, w: r.width, h: r.height};", hist)
    y = box["y"] + box["h"] / 2
    pointer_gesture(driver, [(box["x"] + 2, y), (box["x"] + box["w"] * 0.3, y), (box["x"] + box["w"] * 0.45, y)])
    q = _wait_query(driver, "brush", None)
    assert q["brush"][0].startswith("cnn-iter98-ft:")
    wait_for(driver, "document.querySelector('#behaviors-filters')?.innerText.includes('cnn-iter98-ft:')",
             what="brush chip")
    screenshot(driver, "behaviors-instances-brushed.png")
    # Remove the brush and the class filter; then page forward through all instances.
    driver.find_element("id", "behaviors-clear").click()
    wait_for(driver, "!location.search.includes('brush=')", what="brush cleared")
    wait_for(driver, "!location.search.includes('class=')", what="class filter cleared")
    first_page = _stable_items(driver)
    driver.find_element("css selector", ".bh-grid .ag-paging-button[aria-label='Next Page']").click()
    q = _wait_query(driver, "page", "1")
    wait_for(driver, "document.querySelector('.bh-grid .ag-row[row-index=\"50\"]')", what="page 2 rows")
    second_page = _stable_items(driver, 1)
    assert second_page and not set(second_page) & set(first_page)
    # Reload the bookmark: the same view comes back (mode, sort, level, page).
    bookmark = driver.current_url
    driver.get("about:blank")
    driver.get(bookmark)
    wait_for(driver, "document.querySelector('.bh-grid .ag-row[row-index=\"50\"]')", what="restored page 2")
    _assert_same_page(_stable_items(driver, 1), second_page)
    assert driver.find_element("css selector", "#behaviors-mode input[value='relative']").is_selected()
    assert "‹ Classes" in driver.find_element("id", "behaviors-level").text
    assert console_errors(driver) == []


def test_unknown_ids_dropped_with_notice(driver, demo_server):
    driver.get(demo_server + "/behaviors?models=cnn,<script>x</script>,cnn-int8&base=nope&mode=zz")
    notice = wait_for(driver, "document.querySelector('.cc-warn')?.textContent", what="the notice")
    assert "<script>x</script>" in notice  # shown as inert text
    assert "Comparing 2 models" in driver.find_element("css selector", ".cc-detail-sidebar").text
    assert "mode='zz'" in driver.page_source or "mode=&#39;zz&#39;" in driver.page_source
    assert console_errors(driver) == []
