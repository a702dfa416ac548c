""""New experiment…" in headless Chromium: select a demo model on the map, launch a two-value
prune sweep, wait for both jobs, and find the two new nodes selected with measured metrics.

A one-model demo of its own (``tests.support.mini_demo``): the launch appends models, so the
session's built demo, which other tests read, is left untouched.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.experiment.loader import load_experiment
from tests.browser.conftest import CY, click_at, console_errors, cy_node_center, screenshot, wait_for
from tests.browser.overview_support import open_overview, query, selected
from tests.support.mini_demo import write_mini_demo
from tests.support.servers import gunicorn_app

STATUS = "document.querySelector('#overview-launch-status')?.textContent || ''"


@pytest.fixture(scope="module")
def launch_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    config = write_mini_demo(tmp_path_factory.mktemp("launch-browser"))
    with gunicorn_app(config, tmp_path_factory.mktemp("launch-cache")) as url:
        yield url, config


def _type(driver, element, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.BACKSPACE)
    element.send_keys(text)


def test_launch_a_prune_sweep_from_a_map_node(driver, launch_server):
    url, config = launch_server
    open_overview(driver, url + "/")
    box = driver.find_element("id", "overview-launch-box")
    assert not box.is_displayed()  # nothing selected: no control
    node = cy_node_center(driver, "cnn")
    click_at(driver, node["x"], node["y"])
    wait_for(driver, "!document.querySelector('#overview-launch-box').hidden", what="the launch control")
    box.find_element("css selector", "summary").click()
    assert "From model cnn" in box.text
    amount = driver.find_element("css selector", "#overview-launch-params input")
    # a value outside the schema: one line, nothing starts
    _type(driver, amount, "0.3, 1.5")
    driver.find_element("id", "overview-launch-go").click()
    wait_for(driver, f"{STATUS}.includes('outside')", what="the refusal")
    assert driver.execute_script(f"return {STATUS};") == (
        "operation 'global magnitude prune': amount: 1.5 is outside [0, 0.999]")
    _type(driver, amount, "0.3, 0.6")
    clicked = time.perf_counter()
    driver.find_element("id", "overview-launch-go").click()
    wait_for(driver, f"{CY} && {CY}.getElementById('cnn-gprune60').length > 0"
                     f" && {CY}.getElementById('cnn-gprune30').length > 0",
             timeout=240, what="the two new nodes on the map")
    seconds = time.perf_counter() - clicked
    wait_for(driver, f"{CY}._ccFitted", what="the redrawn map")
    assert selected(driver) == {"cnn-gprune30", "cnn-gprune60"}
    assert query(driver)["sel"] == ["cnn-gprune30,cnn-gprune60"]
    forest = load_experiment(config).forest
    for mid, amount_value in (("cnn-gprune30", 0.3), ("cnn-gprune60", 0.6)):
        model = forest[mid]
        assert model.base == "cnn"
        assert model.metrics["Sparsity"] == pytest.approx(amount_value, abs=0.02)
        assert 0 < model.metrics["Accuracy"] <= 1 and model.metrics["Latency"] > 0
    shot = screenshot(driver, "launch-sweep.png")
    shot.with_name("launch-round-trip.txt").write_text(
        f"click to both new nodes on the map: {seconds:.1f} s\n")
    assert not console_errors(driver)


def test_cancel_stops_a_sweep_and_leaves_only_whole_models(driver, launch_server):
    url, config = launch_server
    before = {m.id for m in load_experiment(config).forest}
    open_overview(driver, url + "/?sel=cnn")
    box = driver.find_element("id", "overview-launch-box")
    box.find_element("css selector", "summary").click()

    driver.find_element("css selector", "#overview-launch-op").click()
    wait_for(driver, "[...document.querySelectorAll('[role=option]')].find(o => o.textContent.trim() === 'fine-tune')",
             what="the fine-tune option").click()
    wait_for(driver, "document.querySelector('#overview-launch-params input')?.value === '10'",
             what="the epochs input")
    _type(driver, driver.find_element("css selector", "#overview-launch-params input"), "30, 29, 28, 27, 26, 25")
    driver.find_element("id", "overview-launch-go").click()
    wait_for(driver, "Number(document.querySelector('#overview-launch-progress').value) >= 1",
             timeout=120, what="the first finished run")
    driver.find_element("id", "overview-launch-cancel").click()
    wait_for(driver, f"{STATUS}.startsWith('Cancelled')", what="the cancelled status")
    time.sleep(1.0)
    after = {m.id: m for m in load_experiment(config).forest}
    new = sorted(set(after) - before)
    assert 1 <= len(new) < 6, new  # the finished runs stayed, the rest never started
    for mid in new:
        assert after[mid].operation.name == "fine-tune" and after[mid].checkpoint.is_file()
    time.sleep(6.0)  # longer than one run: a job still running would have added another
    assert {m.id for m in load_experiment(config).forest} == set(after)
    assert not console_errors(driver)
