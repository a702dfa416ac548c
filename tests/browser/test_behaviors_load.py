"""Lazy predictions through a real background job (DiskcacheManager under gunicorn), then cache."""

from __future__ import annotations

from tests.browser.conftest import console_errors, screenshot, wait_for

MODELS = ["cnn", "cnn-gprune98", "cnn-gprune98-restore-fc1-ft"]


def test_load_predictions_progress_then_cache(driver, demo_server, demo_experiment):
    url = demo_server + "/behaviors?models=" + ",".join(MODELS) + "&base=cnn"
    driver.get(url)
    wait_for(driver, "document.querySelector('#behaviors-load')", what="the Load predictions button")
    driver.find_element("id", "behaviors-load").click()
    table = wait_for(driver, "document.querySelector('#behaviors-result table')?.innerText", timeout=120,
                     what="the prediction summary")
    assert "Predictions ready" in driver.find_element("id", "behaviors-status").text
    progress = driver.execute_script("const p = document.querySelector('#behaviors-progress');"
                                     "return [p.value, p.max];")
    assert float(progress[0]) == float(progress[1]) > 0  # the bar reached its end
    for mid in MODELS:  # accuracy recomputed from the predictions equals the recorded metric
        recorded = demo_experiment.forest[mid].metrics["Accuracy"]
        assert f"{recorded * 100:.2f}%" in table, (mid, table)
    screenshot(driver, "behaviors-load.png")
    driver.get("about:blank")
    driver.get(url)  # a reload (any worker) shows the cached result at once
    wait_for(driver, "document.querySelector('#behaviors-result table')", what="cached summary")
    assert "Loaded from cache." in driver.page_source
    assert console_errors(driver) == []


def test_unknown_ids_dropped_with_notice(driver, demo_server):
    driver.get(demo_server + "/behaviors?models=cnn,<script>x</script>,cnn-int8&base=nope")
    notice = wait_for(driver, "document.querySelector('.cc-warn')?.textContent", what="the notice")
    assert "<script>x</script>" in notice  # shown as inert text
    assert "Base:" in driver.find_element("css selector", ".cc-placeholder").text
    assert console_errors(driver) == []
