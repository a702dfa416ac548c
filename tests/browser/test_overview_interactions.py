"""Overview interactions in headless Chromium on the ImageNet reference tree (52 models)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import (
    CY,
    click_at,
    console_errors,
    cy_node_center,
    pointer_gesture,
    screenshot,
    wait_for,
)

A = "resnet50trained-magnitudepruning50_compressed"
B = "resnet50trained-magnitudepruning75_compressed"
LEAF = "resnet50trained-magnitudepruning50_compressed_quantizeint8"


def _open(driver, url: str) -> None:
    driver.get(url)
    wait_for(driver, f"{CY} && {CY}.nodes().length > 0 && {CY}._ccFitted && document.querySelector('#overview-map canvas')",
             what="the map")
    wait_for(driver, "document.querySelectorAll('#overview-scatter .scatterlayer .trace:first-child .point').length === 52",
             what="52 scatter points")


def _selected(driver) -> set[str]:
    return set(driver.execute_script(f"return {CY}.nodes(':selected').map(n => n.id());"))


def _query(driver) -> dict:
    return parse_qs(urlsplit(driver.current_url).query)


def _click(driver, node_id: str, shift: bool = False) -> None:
    pos = cy_node_center(driver, node_id)
    click_at(driver, pos["x"], pos["y"], shift=shift)


def test_click_shift_click_expand_and_url(driver, imagenet_server):
    _open(driver, imagenet_server + "/")
    _click(driver, A)
    wait_for(driver, f"document.querySelector('#overview-details h3')?.textContent === '1 Model Selected: {A}'")
    _click(driver, B, shift=True)
    wait_for(driver, "document.querySelector('#overview-details h3')?.textContent === '2 Models Selected'")
    assert _selected(driver) == {A, B}
    wait_for(driver, "location.search.includes('sel=')", what="selection written to the URL")
    assert set(_query(driver)["sel"][0].split(",")) == {A, B}
    # compare buttons are enabled for 2 models and point at the closest-to-root base
    href = driver.find_element("id", "overview-behaviors").get_attribute("href")
    assert "models=" in href and "base=" in href
    # + Descendants adds the subtrees
    driver.find_element("css selector", "button[id*='descendants']").click()
    wait_for(driver, f"{CY}.nodes(':selected').length > 2", what="descendants selected")
    assert LEAF in _selected(driver)
    assert console_errors(driver) == []


def test_box_selection_with_shift_drag(driver, imagenet_server):
    _open(driver, imagenet_server + "/")
    b = cy_node_center(driver, LEAF)  # may pan the map to show it ...
    a, b = cy_node_center(driver, A), cy_node_center(driver, LEAF)  # ... then both are on screen
    x0, y0 = min(a["x"], b["x"]) - 8, min(a["y"], b["y"]) - 8
    x1, y1 = max(a["x"], b["x"]) + 8, max(a["y"], b["y"]) + 8
    pointer_gesture(driver, [(x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2), (x1, y1)], shift=True)
    wait_for(driver, "document.querySelector('#overview-details h3')?.textContent.includes('Models Selected')",
             what="a box selection of several models")
    assert {A, LEAF} <= _selected(driver)
    assert console_errors(driver) == []


def test_colour_metric_and_arrangement_round_trip_through_url(driver, imagenet_server):
    _open(driver, imagenet_server + f"/?sel={A}")
    wait_for(driver, f"document.querySelector('#overview-details h3')?.textContent === '1 Model Selected: {A}'",
             what="selection restored from the URL")
    before = driver.execute_script(f"return {CY}.getElementById(arguments[0]).data('color');", A)
    # colour by Sparsity: pick it from the dropdown
    driver.find_element("css selector", "#overview-color").click()
    option = wait_for(driver, "[...document.querySelectorAll('#overview-color [role=option], .dash-dropdown-option')]"
                              ".find(o => o.textContent.trim() === 'Sparsity')", what="Sparsity option")
    option.click()
    wait_for(driver, f"{CY}.getElementById('{A}').data('color') !== '{before}'", what="node recoloured")
    wait_for(driver, "document.querySelector('.cc-legend-title')?.textContent === 'Sparsity'")
    # arrange by step
    driver.find_element("css selector", "#overview-arrange input[value='step']").click()
    wait_for(driver, f"{CY}.nodes('.colhead').map(n => n.data('label')).includes('Step 1')", what="step columns")
    wait_for(driver, "location.search.includes('arrange=step') && location.search.includes('color=Sparsity')")
    url = driver.current_url
    screenshot(driver, "overview-imagenet-step.png")
    # a fresh load of the bookmark restores the same view
    driver.get("about:blank")
    _open(driver, url)
    wait_for(driver, f"document.querySelector('#overview-details h3')?.textContent === '1 Model Selected: {A}'")
    assert driver.execute_script(f"return {CY}.nodes('.colhead').map(n => n.data('label'));")[:2] == ["Base", "Step 1"]
    assert driver.execute_script("return document.querySelector('.cc-legend-title').textContent;") == "Sparsity"
    assert _selected(driver) == {A}
    assert console_errors(driver) == []


def test_unknown_ids_are_dropped_with_a_notice(driver, imagenet_server):
    _open(driver, imagenet_server + f"/?sel={A},no-such-model")
    wait_for(driver, "document.querySelector('#overview-notice')?.textContent.includes('no-such-model')",
             what="the notice")
    assert _selected(driver) == {A}
    assert console_errors(driver) == []
