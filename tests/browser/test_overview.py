"""The overview in real headless Chromium: map canvas, scatterplot, clicking a node."""

from __future__ import annotations

from tests.browser.conftest import (
    CY,
    click_at,
    console_errors,
    cy_node_center,
    screenshot,
    wait_for,
)


def _open(driver, url: str) -> None:
    driver.get(url)
    wait_for(driver, f"{CY} && {CY}.nodes().length > 0 && {CY}._ccFitted && document.querySelector('#overview-map canvas')",
             what="the Cytoscape canvas with nodes")
    wait_for(driver, "document.querySelectorAll('#overview-scatter .scatterlayer .trace:first-child .point').length > 0",
             what="scatterplot points")


def test_overview_shows_demo_models_and_click_selects(driver, demo_server, demo_experiment):
    _open(driver, demo_server + "/")
    n_models = driver.execute_script(f"return {CY}.nodes().filter(n => !n.hasClass('colhead')).length;")
    assert n_models == len(demo_experiment.forest)
    assert driver.execute_script(
        "return document.querySelectorAll('#overview-scatter .scatterlayer .trace:first-child .point').length;") == n_models
    target = next(m.id for m in demo_experiment.forest if m.operation and "prune" in m.operation.name)
    wait_for(driver, "document.querySelector('#overview-details h3')?.textContent === 'No models selected'")
    pos = cy_node_center(driver, target)
    click_at(driver, pos["x"], pos["y"])
    wait_for(driver, "document.querySelector('#overview-details h3')?.textContent"
                     f" === '1 Model Selected: {target}'", what="details of the clicked model")
    details = driver.find_element("id", "overview-details").text
    assert "PRUNE" in details.upper()
    assert "(vs. parent)" in details
    # the selected point is outlined in the scatterplot
    wait_for(driver, "[...document.querySelectorAll('#overview-scatter .scatterlayer .trace:nth-child(2) .point')]"
                     ".some(p => (p.style.stroke || '').includes('96, 165, 250'))",
             what="selection ring on the scatter point")
    overlay = driver.execute_script(
        "return document.querySelector('#overview-scatter .js-plotly-plot').data[1].customdata;")
    assert list(overlay) == [target]
    shot = screenshot(driver, "overview-demo.png")
    assert shot.stat().st_size > 10_000
    errors = console_errors(driver)
    assert errors == [], errors


def test_overview_reference_tree_imagenet(driver, imagenet_server):
    _open(driver, imagenet_server + "/")
    n = driver.execute_script(f"return {CY}.nodes().filter(n => !n.hasClass('colhead')).length;")
    assert n == 52
    headers = driver.execute_script(f"return {CY}.nodes('.colhead').map(n => n.data('label'));")
    assert headers[0] == "train" and "quantize" in headers and "magnitude prune" in headers
    pos = cy_node_center(driver, "resnet50trained")
    click_at(driver, pos["x"], pos["y"])
    wait_for(driver, "document.querySelector('#overview-details h3')?.textContent"
                     " === '1 Model Selected: resnet50trained'")
    screenshot(driver, "overview-imagenet.png")
    errors = console_errors(driver)
    assert errors == [], errors
