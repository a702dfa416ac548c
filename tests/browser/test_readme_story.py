"""Every figure of the README's demo story (section "What it is") is read from the running app.

The README is parsed: the Behaviors and Layers bullets' "On the demo ..." sentences. Each
figure they quote (every "N%") must be exactly what the page shows, in the same order, and no
other figure may appear there, so the README cannot drift from the app.

Runs after test_behaviors_load and test_layers (file order): they assert that nothing is cached
yet for the same models, and this test loads (or reuses) the same results.
"""

from __future__ import annotations

import re
import time

from tests.browser.conftest import console_errors, wait_for
from tests.conftest import REPO

FIGURE = re.compile(r"[−+-]?\d+(?:\.\d+)?\s?%")
GRID_ROWS = "document.querySelectorAll('.bh-grid .ag-center-cols-container .ag-row').length"
BEHAVIORS = "/behaviors?models=cnn,cnn-gprune95-ft,cnn-iter98-ft&base=cnn&mode=relative"
PRUNED, REPAIR = "cnn-gprune98", "cnn-gprune98-restore-fc1-ft"
LAYERS = f"/layers?models=cnn,{PRUNED},{REPAIR}&base=cnn"


def story(page: str) -> str:
    """The demo sentences of one page's bullet under "## What it is", on one line."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## What it is", 1)[1].split("\n## ", 1)[0]
    bullet = next(b for b in section.split("\n- ") if b.startswith(f"**{page}**")).split("\n\n")[0]
    flat = " ".join(bullet.split())
    assert "On the demo" in flat, f"the README's {page} bullet lost its demo story"
    return flat[flat.index("On the demo"):]


def figure(text: str) -> str:
    """The one figure of a shown value ("84.6% Correctness" -> "84.6%")."""
    found = FIGURE.findall(text)
    assert len(found) == 1, text
    return found[0]


def _row_cells(driver, row: int) -> dict[str, str]:
    return driver.execute_script(
        "const i = arguments[0];"
        "const pick = (sel) => document.querySelector(sel)?.innerText.trim() || '';"
        "const row = `.ag-row[row-index=\"${i}\"]`;"
        "return {cls: pick(`.bh-grid .ag-pinned-left-cols-container ${row} .bh-class b`),"
        " base: pick(`.bh-grid .ag-center-cols-container ${row} .ag-cell[col-id=\"m0\"] .bh-value`),"
        " value: pick(`.bh-grid .ag-center-cols-container ${row} .ag-cell[col-id=\"m2\"] .bh-value`),"
        " change: pick(`.bh-grid .ag-center-cols-container ${row} .ag-cell[col-id=\"m2\"] .bh-bar-label`)};", row)


def _stable_rows(driver, timeout: float = 30.0) -> list[dict[str, str]]:
    """The first two rows once drawn and two reads 0.3 s apart agree (the grid draws late)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        rows = [_row_cells(driver, i) for i in (0, 1)]
        if all(all(r.values()) for r in rows) and rows == last:
            return rows
        assert time.monotonic() < deadline, f"the first rows never settled: {rows}"
        last = rows
        time.sleep(0.3)


def test_behaviors_figures_of_the_readme_are_what_the_page_shows(driver, demo_server):
    text = story("Behaviors")
    driver.get(demo_server + BEHAVIORS)
    state = wait_for(driver, f"({GRID_ROWS}) ? 'rows' : (document.querySelector('#behaviors-empty')?.innerText"
                             ".includes('not computed') ? 'empty' : '')", timeout=60, what="a view")
    if state == "empty":
        driver.find_element("id", "behaviors-load").click()
    wait_for(driver, GRID_ROWS, timeout=180, what="rows")
    header = ".bh-grid .ag-header-cell[col-id='m2']"
    for _ in range(3):  # sort by cnn-iter98-ft as the README says: none -> desc
        label = driver.execute_script(f"return document.querySelector(\"{header} .bh-sort\")?.innerText")
        if label != "↕":
            break
        driver.find_element("css selector", f"{header} .ag-header-cell-label").click()
        time.sleep(0.3)
    wait_for(driver, "location.search.includes('sort=cnn-iter98-ft%3Adesc')", what="the sort in the URL")
    label = driver.execute_script(f"return document.querySelector(\"{header} .bh-sort\").innerText")
    assert f'("{label}")' in text, (label, text)
    wait_for(driver, "!document.querySelector('[data-dash-is-loading=\"true\"]')", what="callbacks settled")
    rows = _stable_rows(driver)
    assert f"digits {rows[0]['cls']} and {rows[1]['cls']} lost the most" in text, (rows, text)
    shown = [figure(c) for r in rows for c in (r["base"], r["value"], r["change"])]
    assert FIGURE.findall(text) == shown, (shown, text)  # every figure, exactly as shown, in order
    assert console_errors(driver) == []


def test_layers_figures_of_the_readme_are_what_the_page_shows(driver, demo_server):
    text = story("Layers")
    assert f"`{PRUNED}` and its repair `{REPAIR}`" in text  # which repair, by name
    driver.get(demo_server + LAYERS)
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row, .cc-ly-nodata')", what="the page")
    if driver.execute_script("return !!document.querySelector('.cc-ly-nodata')"):
        driver.find_element("id", "layers-load").click()
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row')", timeout=180, what="the tree")
    driver.find_element("css selector", f"#layers-tree [data-sort='{PRUNED}']").click()
    wait_for(driver, f"location.search.includes('sort={PRUNED}%3Adesc')", what="sorted by change")
    top = wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row')?.getAttribute('data-node') === 'fc1'"
                           " && 'fc1'", what="fc1 on top")
    assert f"puts `{top}` on top" in text
    cells = driver.execute_script(
        "const row = document.querySelector('#layers-tree .cc-ly-row');"
        "return [...row.querySelectorAll('.cc-ly-cell')].map(c => c.innerText.trim());")
    metrics = driver.execute_script(
        "return [...document.querySelectorAll('.cc-ly-head-cell .cc-ly-metric')].map(m => m.innerText.trim());")
    zeros = [next(line for line in c.splitlines() if line.endswith("% zeros")) for c in cells[1:3]]
    assert f"{zeros[0]} in `{PRUNED}` ({metrics[1]})" in text, (zeros, metrics, text)
    assert f"{zeros[1]} in the repair ({metrics[2]})" in text, (zeros, metrics, text)
    shown = [figure(zeros[0]), figure(metrics[1]), figure(zeros[1]), figure(metrics[2])]
    assert FIGURE.findall(text) == shown, (shown, text)
    assert console_errors(driver) == []
