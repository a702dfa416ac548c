"""Filter tab, budgets and the Pareto front in headless Chromium on the user-study tree."""

from __future__ import annotations

import json
from urllib.parse import quote

import numpy as np
import pytest

from backend.overview.pareto import pareto_front
from tests.browser.conftest import CY, console_errors, pointer_gesture, screenshot, wait_for
from tests.conftest import REFERENCE_TREES, reference_tree
from tests.support.servers import gunicorn_app

STUDY = REFERENCE_TREES / "imagenet-userstudy-part1.json"


@pytest.fixture(scope="module")
def study_server(tmp_path_factory):
    with gunicorn_app(reference_tree(STUDY.name), tmp_path_factory.mktemp("study-cache")) as url:
        yield url


def _open(driver, url: str) -> None:
    driver.get(url)
    wait_for(driver, f"{CY} && {CY}.nodes().length > 0 && {CY}._ccFitted", what="the map")


def _faded(driver) -> int:
    return driver.execute_script(f"return {CY}.nodes('.faded').length;")


def _tab_label(driver) -> str:
    return driver.execute_script(
        "return [...document.querySelectorAll('#overview-tab label')].map(l => l.textContent)[1];")


def test_brush_a_histogram_filters_fades_and_round_trips(driver, study_server):
    _open(driver, study_server + "/?tab=filter")
    wait_for(driver, "document.querySelectorAll('.cc-filter-hist .js-plotly-plot').length === 1",
             what="one histogram")
    rect = driver.execute_script(
        "const r = document.querySelector('.cc-filter-hist .nsewdrag').getBoundingClientRect();"
        "return {x: r.left, y: r.top, w: r.width, h: r.height};")
    y = rect["y"] + rect["h"] / 2
    pointer_gesture(driver, [(rect["x"] + rect["w"] * 0.55, y), (rect["x"] + rect["w"] * 0.75, y),
                             (rect["x"] + rect["w"] * 0.98, y)])
    wait_for(driver, "location.search.includes('filter=')", what="the brush in the URL")
    label = wait_for(driver, "[...document.querySelectorAll('#overview-tab label')][1].textContent.includes(' of ')"
                     " && [...document.querySelectorAll('#overview-tab label')][1].textContent")
    passing = int(label.split("(")[1].split()[0])
    assert 0 < passing < 20
    wait_for(driver, f"{CY}.nodes('.faded').length === {20 - passing}", what="faded map nodes")
    caption = driver.find_element("css selector", ".cc-filter-caption").text
    assert caption.startswith("Filtering for Top-1 Accuracy")
    screenshot(driver, "filter-userstudy.png")
    url = driver.current_url
    driver.get("about:blank")
    _open(driver, url)
    wait_for(driver, f"{CY}.nodes('.faded').length === {20 - passing}", what="the same filter after reload")
    assert _tab_label(driver) == label
    assert console_errors(driver) == []


def test_pareto_front_matches_brute_force_and_marks_the_map(driver, study_server):
    _open(driver, study_server + "/?tab=pareto&x=Model+Size&y=Top-1+Accuracy&pareto="
          + quote("Model Size,Top-1 Accuracy"))
    data = json.loads(STUDY.read_text())["models"]
    size = np.array([m["metrics"]["Model Size"] for m in data], dtype=float)
    acc = np.array([m["metrics"]["Top-1 Accuracy"] for m in data], dtype=float)
    expected = sorted(data[i]["id"] for i in pareto_front(size, acc, False, True))
    wait_for(driver, f"{CY}.nodes('.frontier').length === {len(expected)}", what="front marked on the map")
    marked = sorted(driver.execute_script(f"return {CY}.nodes('.frontier').map(n => n.id());"))
    assert marked == expected
    plotted = wait_for(driver, "document.querySelector('#overview-scatter .js-plotly-plot')?.data?.[2]?.customdata?.length"
                       " && [...document.querySelector('#overview-scatter .js-plotly-plot').data[2].customdata]")
    assert sorted(plotted) == expected
    assert console_errors(driver) == []


def test_budget_filters_and_relaxation_readout(driver, study_server):
    _open(driver, study_server + "/?tab=pareto&budget=" + quote("Model Size<=30000000"))
    data = json.loads(STUDY.read_text())["models"]
    inside = [m for m in data if m["metrics"]["Model Size"] <= 30_000_000]
    wait_for(driver, f"{CY}.nodes('.faded').length === {len(data) - len(inside)}", what="budget fades models")
    readout = wait_for(driver, "document.querySelector('.cc-readout')?.textContent")
    best = max(inside, key=lambda m: m["metrics"]["Top-1 Accuracy"])
    assert "What if the Model Size budget relaxes?" in readout and best["id"] in readout
    screenshot(driver, "pareto-userstudy.png")
    assert console_errors(driver) == []
