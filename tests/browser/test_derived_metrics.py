"""A derived metric added on the Overview in headless Chromium, on the demo: a refused expression
shows its reason and changes nothing; a good one becomes a metric the scatterplot's X axis can
take, the URL keeps both, and a reload restores them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backend.experiment.derived import DerivedMetric, with_derived
from tests.browser.conftest import CY, console_errors, page_json, screenshot, wait_for
from tests.browser.overview_support import POINTS, open_overview, query

NAME, EXPR = "Accuracy per MB", "Accuracy / (`Model Size` / 1e6)"
ERROR = "#overview-derived-error"
X_TITLE = "document.querySelector('#overview-scatter .xtitle')?.textContent"
X_VALUES = "document.querySelector('#overview-scatter .js-plotly-plot').data[0].x"


def _type(driver, element_id: str, text: str) -> None:
    """Replace a field's text as a user does (Selenium's clear() does not reach React's state)."""
    from selenium.webdriver.common.keys import Keys

    field = driver.find_element("id", element_id)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    field.send_keys(text)


def _add(driver, name: str, expr: str) -> None:
    box = driver.find_element("css selector", "#overview-derived-box")
    if not box.get_attribute("open"):
        box.find_element("css selector", "summary").click()
    _type(driver, "overview-derived-name", name)
    _type(driver, "overview-derived-expr", expr)
    driver.find_element("id", "overview-derived-add").click()


def _pick_x(driver, name: str) -> None:
    """Open the X axis dropdown, type the metric into its search box, click its option.

    Tried up to three times: the dropdown is drawn again while its options and the typed search
    settle (a menu closed under the typing, or a stale option), as a user would try again."""
    from selenium.common.exceptions import ElementNotInteractableException, StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for attempt in range(3):
        driver.find_element("css selector", "#overview-x").click()
        try:
            # the open menu's search box (typing at whatever has the focus can miss it: the
            # focus starts on the current option)
            search = wait_for(driver, "document.querySelector('.dash-dropdown-search')", timeout=10,
                              what="the dropdown's search box")
            search.send_keys(name)
            option = wait_for(driver, "[...document.querySelectorAll('[role=option]')]"
                                      f".find(o => o.textContent.trim() === {name!r})",
                              timeout=10, what=f"the {name} option")
            option.click()
            return
        except (AssertionError, StaleElementReferenceException, ElementNotInteractableException):
            if attempt == 2:
                raise
            ActionChains(driver).send_keys(Keys.ESCAPE).perform()


def test_add_a_derived_metric_pick_it_as_x_and_reload(driver, demo_server, demo_experiment):
    open_overview(driver, demo_server + "/")
    before = driver.current_url
    # a refused expression: its one-line reason under the input, and nothing else changes
    _add(driver, NAME, "Accuracy / (`Model Size`")
    wait_for(driver, f"document.querySelector('{ERROR}')?.textContent.includes('never closed')", what="the error")
    assert driver.find_element("css selector", ERROR).text == (
        "expression 'Accuracy / (`Model Size`': '(' is never closed at position 12")
    assert driver.current_url == before and "derived" not in query(driver)
    # a good one: the page is drawn again from the new URL, with the metric in every picker
    _add(driver, NAME, EXPR)
    wait_for(driver, "location.search.includes('derived=')", what="the metric in the URL")
    wait_for(driver, "[...document.querySelectorAll('.cc-derived-name')].some(s => s.textContent === "
                     f"{NAME!r})", what="the metric listed by the control")
    assert query(driver)["derived"] == [f"{NAME}:{EXPR}"]
    wait_for(driver, f"{CY} && {CY}._ccFitted && document.querySelectorAll('{POINTS}').length > 0"
                     " && !document.querySelector('[data-dash-is-loading=\"true\"]')", what="the page drawn again")
    _pick_x(driver, NAME)
    wait_for(driver, f"{X_TITLE} === {NAME!r}", what="the X axis titled by the derived metric")
    wait_for(driver, f"new URLSearchParams(location.search).get('x') === {NAME!r}", what="x= in the URL")
    url = driver.current_url
    forest = with_derived(demo_experiment.forest, (DerivedMetric(NAME, EXPR),))
    expected = forest.column(NAME)
    shown = np.array([np.nan if v is None else v for v in page_json(driver, X_VALUES)], dtype=float)
    ids = page_json(driver, "document.querySelector('#overview-scatter .js-plotly-plot').data[0].customdata")
    want = np.array([expected[forest.ids.index(i)] for i in ids])
    assert shown == pytest.approx(want, nan_ok=True) and not math.isnan(shown[0])
    screenshot(driver, "derived-metric-x-axis.png")
    # a reload restores the metric, the axis and the URL
    driver.refresh()
    open_overview(driver, url)
    wait_for(driver, f"{X_TITLE} === {NAME!r}", what="the X axis restored")
    assert driver.current_url == url
    assert driver.execute_script("return document.querySelector('#overview-x').innerText.trim();") == NAME
    names = driver.execute_script("return [...document.querySelectorAll('.cc-derived-name')].map(s => s.textContent);")
    assert names == [NAME]
    assert console_errors(driver) == []
