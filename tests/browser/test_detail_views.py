"""The detail pages say what is true, on the demo: cached results on the first render with no
job, only the modes a comparison has, and sort labels that read as the rows' order."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import console_errors, screenshot, wait_for

MODELS = ["cnn", "cnn-gprune95-ft", "cnn-iter98-ft"]
BEHAVIORS = "/behaviors?models=" + ",".join(MODELS) + "&base=cnn"
GRID_ROWS = "document.querySelectorAll('.bh-grid .ag-center-cols-container .ag-row').length"
EMPTY = "document.querySelector('#behaviors-empty')?.innerText || ''"
MSE = "Class probabilities (MSE)"
# What the page looked like when its content first appeared (before any callback could answer).
FIRST_RENDER_PROBE = """
window.__first = null;
new MutationObserver((_, observer) => {
  if (!document.querySelector('#behaviors-load')) return;
  observer.disconnect();
  window.__first = {
    summary: document.querySelector('#behaviors-summary')?.innerText || '',
    empty: document.querySelector('#behaviors-empty')?.innerText || '',
    toolbar: getComputedStyle(document.querySelector('#behaviors-toolbar')).display,
  };
}).observe(document.body, {childList: true, subtree: true});
"""


def _query(driver) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(driver.current_url).query).items()}


def _cached(driver, url: str) -> None:
    """Open ``url``; press Load once if this test runs before anything computed its predictions."""
    driver.get(url)
    state = wait_for(driver, f"({GRID_ROWS}) ? 'rows' : (({EMPTY}).includes('not computed') ? 'empty' : '')",
                     timeout=60, what="rows or the not-computed state")
    if state == "empty":
        driver.find_element("id", "behaviors-load").click()
    wait_for(driver, GRID_ROWS, timeout=180, what="rows")


def _settled(driver) -> None:
    wait_for(driver, "!document.querySelector('[data-dash-is-loading=\"true\"]')", what="callbacks settled")


def _choose(driver, dropdown: str, value: str) -> None:
    """Pick an option of a Dash 4 dropdown as a user does: open it, click the option."""
    driver.find_element("id", dropdown).click()
    option = wait_for(driver, f"[...document.querySelectorAll('[role=option] input')]"
                              f".find(i => i.value === {value!r})?.closest('[role=option]')", what=value)
    option.click()


def _mode_inputs(driver) -> dict[str, dict]:
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#behaviors-mode input')].map(i => [i.value,"
        " {checked: i.checked, disabled: i.disabled,"
        "  title: i.closest('label').querySelector('[title]')?.title || ''}]));")


def _column_values(driver, col: str, selector: str) -> list[float]:
    """The numbers a model column shows, in row order (U+2212 minus, % and words stripped)."""
    texts = driver.execute_script(
        "return [...document.querySelectorAll('.bh-grid .ag-center-cols-container .ag-row')]"
        ".sort((a, b) => +a.getAttribute('row-index') - +b.getAttribute('row-index'))"
        f".map(r => r.querySelector(\".ag-cell[col-id='{col}'] {selector}\")?.innerText || '');")
    return [float(re.match(r"[+−-]?[\d.]+", t).group(0).replace("−", "-")) for t in texts if t]


def _sorted_column(driver, col: str, label: str, selector: str) -> list[float]:
    """Click a model header until its label reads ``label``; the column's values then."""
    header = f".bh-grid .ag-header-cell[col-id='{col}']"
    for _ in range(3):
        if driver.execute_script(f"return document.querySelector(\"{header} .bh-sort\")?.innerText") == label:
            break
        driver.find_element("css selector", f"{header} .ag-header-cell-label").click()
        time.sleep(0.3)
    assert driver.execute_script(f"return document.querySelector(\"{header} .bh-sort\").innerText") == label
    _settled(driver)
    deadline = time.monotonic() + 30
    last = None
    while True:  # the grid draws rows asynchronously: two equal reads 0.3 s apart
        values = _column_values(driver, col, selector)
        if values and values == last:
            return values
        assert time.monotonic() < deadline, f"column {col} never settled: {values}"
        last = values
        time.sleep(0.3)


def test_a_link_shows_cached_predictions_on_its_first_render_and_starts_no_job(driver, demo_server):
    _cached(driver, demo_server + BEHAVIORS)
    # Follow the top bar's Behaviors link from the Layers page of the same comparison.
    driver.get(demo_server + "/layers?models=" + ",".join(MODELS) + "&base=cnn")
    wait_for(driver, "document.querySelector('#nav-behaviors')?.getAttribute('href')?.includes('cnn-iter98-ft')",
             what="the top bar's link carrying the models")
    driver.execute_script(FIRST_RENDER_PROBE)
    driver.find_element("id", "nav-behaviors").click()
    first = wait_for(driver, "window.__first", what="the page's first render")
    assert "97.4% Correctness" in first["summary"], first  # the cached result, before any callback
    assert first["empty"] == "" and first["toolbar"] != "none", first  # (the grid's code loads lazily)
    wait_for(driver, GRID_ROWS, what="rows")
    _settled(driver)
    # No job was started: nothing running, nothing reported.
    assert driver.execute_script("return [document.querySelector('#behaviors-load').disabled,"
                                 " document.querySelector('#behaviors-cancel').disabled,"
                                 " document.querySelector('#behaviors-status').innerText,"
                                 " +document.querySelector('#behaviors-progress').value]") == [False, True, "", 0]
    assert console_errors(driver) == []


def test_modes_a_comparison_does_not_have_are_disabled_and_ignored_in_the_url(driver, demo_server):
    _cached(driver, demo_server + BEHAVIORS)
    _settled(driver)
    assert _mode_inputs(driver)["absolute"] == {"checked": True, "disabled": False, "title": "Each model's own value"}
    _choose(driver, "behaviors-comparison", MSE)
    wait_for(driver, "location.search.includes('mode=relative')", what="relative in the URL")
    modes = _mode_inputs(driver)
    assert modes["relative"]["checked"] and not modes["relative"]["disabled"]
    assert modes["absolute"]["disabled"] and not modes["absolute"]["checked"]
    assert "no raw values" in modes["absolute"]["title"] and MSE in modes["absolute"]["title"]
    screenshot(driver, "behaviors-mse-relative-only.png")
    driver.find_element("css selector", "#behaviors-mode input[value='absolute']").find_element(
        "xpath", "./ancestor::label").click()  # a disabled choice does nothing
    time.sleep(0.5)
    _settled(driver)
    assert _query(driver)["mode"] == "relative" and _mode_inputs(driver)["relative"]["checked"]
    _choose(driver, "behaviors-comparison", "Correctness")  # a comparison with values: both modes again
    wait_for(driver, "location.search.includes('comparison=Correctness')", what="Correctness in the URL")
    _settled(driver)
    assert not _mode_inputs(driver)["absolute"]["disabled"]

    # A URL asking for absolute KL: the notice, relative shown, and the URL says relative.
    driver.get(demo_server + BEHAVIORS + "&comparison=KL+divergence&mode=absolute")
    notice = wait_for(driver, "document.querySelector('.cc-warn')?.innerText", what="the notice")
    assert notice.startswith("Ignored in the URL: mode='absolute' does not exist for 'KL divergence'"), notice
    modes = _mode_inputs(driver)
    assert modes["relative"]["checked"] and modes["absolute"]["disabled"]
    wait_for(driver, "location.search.includes('mode=relative')", what="the URL made honest")
    assert "mode=absolute" not in driver.current_url
    assert console_errors(driver) == []


def test_sort_labels_read_as_the_rows_order(driver, demo_server):
    _cached(driver, demo_server + BEHAVIORS + "&mode=relative")
    _settled(driver)
    # Relative: rows are ordered by the size of the change, so "biggest change first" starts at
    # the most negative change (class 8), whatever its sign.
    values = _sorted_column(driver, "m2", "↓ biggest change first", ".bh-bar-label")
    assert values[0] < -50 and [abs(v) for v in values] == sorted((abs(v) for v in values), reverse=True)
    _wait_sort(driver, "cnn-iter98-ft:desc")
    screenshot(driver, "behaviors-sort-label.png")
    values = _sorted_column(driver, "m2", "↑ smallest change first", ".bh-bar-label")
    assert [abs(v) for v in values] == sorted(abs(v) for v in values)
    _wait_sort(driver, "cnn-iter98-ft:asc")
    # Absolute: the raw value, highest first, then lowest first.
    driver.get(demo_server + BEHAVIORS)
    wait_for(driver, GRID_ROWS, what="rows")
    values = _sorted_column(driver, "m2", "↓ highest first", ".bh-value")
    assert values == sorted(values, reverse=True) and values[0] > values[-1]
    values = _sorted_column(driver, "m2", "↑ lowest first", ".bh-value")
    assert values == sorted(values)
    assert console_errors(driver) == []


def _wait_sort(driver, sort: str) -> None:
    wait_for(driver, f"new URLSearchParams(location.search).get('sort') === {sort!r}", what=f"sort={sort}")


LAYERS = "/layers?models=cnn-large,cnn-large-gprune95,cnn-large-gprune95-ft&base=cnn-large"
FIRST_ROWS = ("[...document.querySelectorAll('#layers-tree .cc-ly-row')].map(r =>"
              " r.querySelectorAll('.cc-ly-cell')[arguments[0]]?.innerText || '')")


def test_layers_sort_buttons_read_as_the_rows_order(driver, demo_server):
    driver.get(demo_server + LAYERS)
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row, .cc-ly-nodata')", what="the page")
    if driver.execute_script("return !!document.querySelector('.cc-ly-nodata')"):
        driver.find_element("id", "layers-load").click()
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row')", timeout=180, what="the tree")
    button = "#layers-tree [data-sort='cnn-large-gprune95']"
    for label, order in (("↓ highest first", True), ("↑ lowest first", False)):
        driver.find_element("css selector", button).click()
        wait_for(driver, f"document.querySelector(\"{button}\")?.innerText === {label!r}", what=label)
        _settled(driver)
        cells = driver.execute_script(f"return {FIRST_ROWS};", 1)
        changes = [float(re.search(r"([+−-][\d.]+)% zeros", c).group(1).replace("−", "-")) for c in cells
                   if "% zeros" in c]
        assert len(changes) >= 4 and changes == sorted(changes, reverse=order), (label, changes)
    screenshot(driver, "layers-sort-label.png")
    assert console_errors(driver) == []
