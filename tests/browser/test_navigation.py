"""Going from page to page keeps the comparison: the top bar's links carry the models and base.

Tried as a new user would: open a bookmarked selection, press Behaviors in the top bar, then
Layers, then Overview; each page must show the same models (a bare /layers used to lose them).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from tests.browser.conftest import console_errors, wait_for

MODELS = ["cnn", "cnn-int8", "cnn-gprune50"]


def _query(driver) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(driver.current_url).query).items()}


def _click_nav(driver, page: str) -> None:
    wait_for(driver, f"document.getElementById('nav-{page}')?.getAttribute('href')?.includes('cnn-int8')",
             what=f"the {page} link to carry the models")
    driver.find_element("id", f"nav-{page}").click()


def test_top_bar_links_carry_the_compared_models(driver, demo_server):
    driver.get(demo_server + "/?sel=" + ",".join(MODELS))
    wait_for(driver, "document.querySelector('#overview-map')", what="the overview")
    _click_nav(driver, "behaviors")
    wait_for(driver, "location.pathname === '/behaviors'", what="Behaviors")
    query = _query(driver)
    assert query["models"].split(",")[0] == query["base"] == "cnn"
    assert sorted(query["models"].split(",")) == sorted(MODELS)
    wait_for(driver, "document.querySelector('.cc-detail-sidebar')", what="the Behaviors sidebar")
    _click_nav(driver, "layers")
    wait_for(driver, "location.pathname === '/layers'", what="Layers")
    assert _query(driver)["base"] == "cnn" and sorted(_query(driver)["models"].split(",")) == sorted(MODELS)
    sidebar = wait_for(driver, "document.querySelector('.cc-detail-sidebar h3')?.innerText", what="the sidebar")
    assert sidebar == "Comparing 3 models"
    _click_nav(driver, "overview")
    wait_for(driver, "location.pathname === '/'", what="the overview")
    assert sorted(_query(driver)["sel"].split(",")) == sorted(MODELS)
    wait_for(driver, "document.body.innerText.includes('3 Models Selected')", what="the selection restored")
    assert console_errors(driver) == []
