"""Layers on the demo, as a newcomer would use it: the global prune's broken layer, then its repair.

The demo's truth (README): at 98 % global pruning the 512→64 layer fc1 is 99.4 % zeros and the
model collapses; the repair restores fc1 (pruned to 95 %) and fine-tunes. So, sorted by change
against the trained CNN, fc1 must come first, and the repair must show fc1 with far more of its
weights back.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import click_at, console_errors, screenshot, wait_for

PRUNED, REPAIR = "cnn-gprune98", "cnn-gprune98-restore-fc1-ft"
QUERY = f"/layers?models=cnn,{PRUNED},{REPAIR}&base=cnn"
FIRST_ROW = "document.querySelector('#layers-tree .cc-ly-row')?.getAttribute('data-node')"


def _column(driver, node: str, index: int) -> str:
    """Caption of model column ``index`` (0 = base) in the row of ``node``."""
    return driver.execute_script(
        "const row = [...document.querySelectorAll('#layers-tree .cc-ly-row')]"
        ".find(r => r.getAttribute('data-node') === arguments[0]);"
        "return row ? row.querySelectorAll('.cc-ly-cell')[arguments[1]].innerText : null;", node, index)


def _ensure_loaded(driver) -> None:
    """The tree, after pressing Load layers if this test runs first (else it is cached)."""
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row, .cc-ly-nodata')", what="the page")
    if driver.execute_script("return !!document.querySelector('.cc-ly-nodata')"):
        driver.find_element("id", "layers-load").click()
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row')", timeout=180, what="the tree")


def _query(driver) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(driver.current_url).query).items()}


def test_global_prune_breaks_fc1_and_the_repair_restores_it(driver, demo_server, demo_experiment):
    driver.get(demo_server + QUERY + "&tensor=weights")
    wait_for(driver, "document.querySelector('.cc-ly-nodata')", what="the no-data notice")
    driver.find_element("id", "layers-load").click()
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row')", timeout=180, what="the tree")
    wait_for(driver, "document.querySelector('#layers-status').innerText.includes('Layers ready')",
             what="the job's status")
    progress = driver.execute_script("const p = document.querySelector('#layers-progress');"
                                     "return [p.value, p.max];")
    assert float(progress[0]) == float(progress[1]) > 0
    screenshot(driver, "layers-loaded.png")

    # sort by the pruned model's change: the broken layer comes first
    driver.find_element("css selector", f"#layers-tree [data-sort='{PRUNED}']").click()
    wait_for(driver, "location.search.includes('sort=cnn-gprune98%3Adesc')", what="sort in the URL")
    wait_for(driver, f"{FIRST_ROW} === 'fc1'", what="fc1 at the top")
    moved = [float(re.search(r"(\d+)% moved", _column(driver, "fc1", i)).group(1)) for i in (1, 2)]
    assert moved[0] >= 95 and moved[1] < moved[0]  # the repair moved fc1 less
    header = driver.find_element("css selector", ".cc-ly-head").text
    for mid in ("cnn", PRUNED, REPAIR):  # the accuracy story sits in the column headers
        assert f"{demo_experiment.forest[mid].metrics['Accuracy'] * 100:.2f}%" in header
    screenshot(driver, "layers-sorted-weights.png")

    # the same in sparsity: fc1 first, and the repair has many more non-zero fc1 weights
    driver.get(demo_server + QUERY + f"&sort={PRUNED}:desc")
    wait_for(driver, f"{FIRST_ROW} === 'fc1'", what="fc1 first by sparsity")
    assert "Loaded from cache." in driver.page_source
    zeros = [float(re.search(r"\+([\d.]+)% zeros", _column(driver, "fc1", i)).group(1)) for i in (1, 2)]
    assert zeros[0] > 99 and (100 - zeros[1]) > 5 * (100 - zeros[0])
    screenshot(driver, "layers-sorted-sparsity.png")

    # keyboard: ↓ moves the selection, → expands, ← collapses; each step is in the URL
    driver.execute_script("document.querySelector('#layers-tree .cc-ly-row').click()")
    wait_for(driver, "location.search.includes('sel=fc1')", what="fc1 selected")
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row[data-node=\"fc1.weight\"]')",
             what="fc1 expanded by the click")
    active = driver.switch_to.active_element
    active.send_keys(Keys.ARROW_LEFT)
    wait_for(driver, "!document.querySelector('#layers-tree .cc-ly-row[data-node=\"fc1.weight\"]')",
             what="fc1 collapsed")
    driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-selected')?.getAttribute('data-node')"
             " === 'conv2'", what="selection moved down")
    wait_for(driver, "location.search.includes('sel=conv2')", what="selection in the URL")
    driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row[data-node=\"conv2.weight\"]')",
             what="conv2 expanded by the key")
    assert _query(driver)["open"] == "conv2"

    # a reload restores the view
    driver.get(driver.current_url)
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-selected')?.getAttribute('data-node')"
             " === 'conv2'", what="state restored")
    assert driver.execute_script(f"return {FIRST_ROW}") == "fc1"
    assert console_errors(driver) == []


def test_filter_heatmap_and_bad_input(driver, demo_server):
    driver.get(demo_server + QUERY + "&tensor=weights")
    _ensure_loaded(driver)
    box = driver.find_element("id", "layers-match")
    box.send_keys("bn")
    wait_for(driver, "[...document.querySelectorAll('#layers-tree .cc-ly-row')]"
             ".map(r => r.getAttribute('data-node')).join() === 'bn1,bn2'", what="filtered rows")
    assert _query(driver)["match"] == "bn"
    box.send_keys(Keys.END, "[")
    wait_for(driver, "document.querySelector('#layers-match-msg').innerText"
             ".startsWith('Invalid regular expression')", what="the regex message")
    assert driver.execute_script("return document.querySelector('#layers-match').parentElement"
                                 ".classList.contains('cc-ly-invalid')")  # red border (Dash 4 wraps inputs)

    # heatmap: a click on fc1 overlays the distributions of all models for fc1
    driver.get(demo_server + QUERY + "&tensor=weights&view=heatmap")
    wait_for(driver, "!!document.querySelector('#layers-heatmap .js-plotly-plot')?._fullLayout",
             what="the heatmap")
    time.sleep(0.5)
    point = driver.execute_script(
        "const gd = document.querySelector('#layers-heatmap .js-plotly-plot');"
        "const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;"
        "const row = gd.data[0].y.indexOf('fc1'); const r = gd.getBoundingClientRect();"
        "return {x: r.left + xa._offset + xa.l2p(0), y: r.top + ya._offset + ya.l2p(row)};")
    click_at(driver, point["x"], point["y"])
    wait_for(driver, "document.querySelector('#layers-dist .js-plotly-plot')?.data?.length === 3",
             what="three overlaid distributions")
    assert _query(driver)["module"] == "fc1"
    screenshot(driver, "layers-heatmap.png")

    # remove a model with its pill's ×, then re-base on the pruned model (new pairs: load again)
    driver.get(demo_server + QUERY + f"&sort={REPAIR}:desc")
    wait_for(driver, "document.querySelectorAll('#layers-tree .cc-ly-head-cell').length === 3", what="3 columns")
    driver.execute_script("document.querySelectorAll('.cc-pill-remove')[2].click()")
    wait_for(driver, "document.querySelectorAll('#layers-tree .cc-ly-head-cell').length === 2",
             what="the repair removed")
    query = _query(driver)
    assert query["models"] == f"cnn,{PRUNED}" and "sort" not in query
    driver.get(demo_server + f"/layers?models=cnn,{PRUNED}&base={PRUNED}")
    _ensure_loaded(driver)
    heads = driver.execute_script("return [...document.querySelectorAll('.cc-ly-head-cell')].map(h => h.innerText)")
    assert heads[0].startswith(PRUNED) and "vs. base" not in heads[0] and "vs. base" in heads[1]
    assert "-99.4% zeros" in _column(driver, "fc1", 1) or "−99.4% zeros" in _column(driver, "fc1", 1)

    driver.get(demo_server + "/layers?models=cnn,nope&base=cnn&tensor=gradients&sort=x:y&match=(")
    notices = wait_for(driver, "document.querySelector('#layers-notice')?.innerText", what="notices")
    for part in ("nope", "gradients", "x:y"):
        assert part in notices
    assert "Invalid regular expression" in driver.find_element("id", "layers-match-msg").text
    assert console_errors(driver) == []


def test_instance_drill_down(driver, demo_server, demo_experiment):
    from backend.demo.inspector import DemoInspector

    instance = str(DemoInspector().dataset().ids[0])
    driver.get(demo_server + QUERY + f"&tensor=activations&instance={instance}")
    wait_for(driver, "document.querySelector('#layers-instance-load')", what="the drill-down box")
    driver.find_element("id", "layers-instance-load").click()
    text = wait_for(driver, "document.querySelector('#layers-instance-result')?.innerText"
                            ".includes('first diverges') && document.querySelector('#layers-instance-result')"
                            ".innerText", timeout=120, what="the per-layer distances")
    assert PRUNED in text and REPAIR in text
    wait_for(driver, "document.querySelector('#layers-instance-result .main-svg')", what="the distance chart")
    time.sleep(0.5)
    assert driver.execute_script("return document.querySelector('#layers-instance-result img')"
                                 ".naturalWidth") > 0
    screenshot(driver, "layers-instance.png")
    assert console_errors(driver) == []


def test_channel_pruned_models_show_their_removed_channels(driver, demo_server, demo_experiment):
    """Structured pruning: a narrower conv is compared on its kept channels, and the badge says
    which of the base's channels are gone and what that saved."""
    from backend.demo.compress import channel_keep
    from backend.demo.model import load_checkpoint

    keep = channel_keep(load_checkpoint(demo_experiment.forest["cnn"].checkpoint), 0.5)
    gone = sorted(set(range(16)) - set(keep["conv1"].tolist()))
    driver.get(demo_server + "/layers?models=cnn,cnn-cprune50-ft&base=cnn&tensor=weights")
    _ensure_loaded(driver)
    badge = ("const row = [...document.querySelectorAll('#layers-tree .cc-ly-row')]"
             ".find(r => r.getAttribute('data-node') === arguments[0]);"
             "const b = row && row.querySelectorAll('.cc-ly-cell')[1].querySelector('.cc-ly-pruned');"
             "return b ? [b.innerText, b.title] : null;")
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-pruned')", what="the pruning badges")
    text, title = driver.execute_script(badge, "conv1")
    assert text == "−8/16 out"
    assert f"8 of 16 output channels of conv1.weight removed ({', '.join(map(str, gone))})" in title
    assert "parameters 160 → 80 (−50.0 %)" in title and "FLOPs −50.0 %" in title
    assert driver.execute_script(badge, "conv2")[0] == "−16/32 out −8/16 in"
    assert "% moved" in _column(driver, "conv2", 1)  # compared on the kept channels, not "shape …"
    screenshot(driver, "layers-channel-pruned.png")
    assert console_errors(driver) == []
