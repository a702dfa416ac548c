"""Hostile names render as inert text in every view: model ids, tags, operation and metric names,
the experiment's name. Each payload would set ``window.__pwned`` if it ever ran as HTML or script.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from backend.viewstate.codec import encode_ids
from tests.browser.conftest import CY, console_errors, cy_node_center, screenshot, wait_for
from tests.support.bad_experiment import write_experiment
from tests.support.servers import gunicorn_app

IDS = {"root": '<img src=x onerror="window.__pwned=1">', "a": "<script>window.__pwned=2</script>",
       "b": "b<b>bold</b>&amp;", "c": "c\"'><svg onload=window.__pwned=3>"}
METRICS = ('<i>acc</i><img src=x onerror="window.__pwned=4">', "size<script>window.__pwned=5</script>")
OPERATION = '<a href="javascript:window.__pwned=6">prune</a>'
NAME = '<img src=x onerror="window.__pwned=7">'


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile")
    config = write_experiment(folder, ids=IDS, metric_names=METRICS, op_name=OPERATION, name=NAME)
    with gunicorn_app(config, folder / "cache") as url:
        yield url


def _inert(driver) -> None:
    """Nothing ran, no element was made from a payload, no alert, no console error."""
    from selenium.common.exceptions import NoAlertPresentException

    assert driver.execute_script("return window.__pwned;") is None
    assert driver.execute_script(
        "return [...document.querySelectorAll('[onerror], [onload], a[href^=\"javascript\"]')]"
        ".map(e => e.outerHTML);") == []
    markup = driver.execute_script("return document.body.innerHTML;")
    assert "<b>bold</b>" not in markup and "<i>acc</i>" not in markup  # payloads never became markup
    styled = driver.execute_script(  # ...nor Plotly's pseudo-HTML (bold or italic text in its SVG)
        "return [...document.querySelectorAll('.js-plotly-plot tspan')].filter(t => "
        "['bold', 'acc'].includes(t.textContent.trim()) && (t.style.fontWeight || t.style.fontStyle))"
        ".map(t => t.closest('g')?.getAttribute('class') + ': ' + t.textContent);")
    assert styled == [], styled
    assert driver.execute_script(
        "return [...document.scripts].filter(s => s.textContent.includes('__pwned')).length;") == 0
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018  (raises when there is no alert)
    assert console_errors(driver) == []


def _text(driver, css: str) -> str:
    return driver.execute_script("return document.querySelector(arguments[0])?.textContent || '';", css)


def _hover(driver, x: float, y: float) -> None:
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    builder = ActionBuilder(driver)
    builder.pointer_action.move_to_location(int(x), int(y))
    builder.perform()


def test_overview_shows_hostile_names_as_text(driver, hostile_server):
    a, b = IDS["a"], IDS["b"]
    driver.get(hostile_server + "/?" + urlencode({"sel": encode_ids([a, b]), "color": METRICS[0],
                                                  "x": METRICS[0], "y": METRICS[1]}))
    wait_for(driver, f"{CY} && {CY}.nodes().length > 0 && {CY}._ccFitted", what="the map")
    wait_for(driver, "document.querySelectorAll('#overview-scatter .scatterlayer .trace:first-child .point')"
                     ".length === 4", what="scatter points")
    assert NAME in _text(driver, "#app-topbar")
    assert f"tag {a}" in _text(driver, "#overview-details") and f"tag {b}" in _text(driver, "#overview-details")
    assert METRICS[0] in _text(driver, "#overview-legend")

    pos = cy_node_center(driver, IDS["root"])  # map hover card: a real pointer over the node
    _hover(driver, pos["x"], pos["y"])
    wait_for(driver, "!document.querySelector('#overview-hover-card').hidden", what="the hover card")
    card = _text(driver, "#overview-hover-card")
    assert f"tag {IDS['root']}" in card, card  # the title, then metric names (upper-cased by design)
    assert METRICS[0].upper() in card.upper() and METRICS[1].upper() in card.upper(), card

    index = list(IDS).index("c")  # scatter hover label (Plotly draws its pseudo-HTML in SVG)
    driver.execute_script("const gd = document.querySelector('#overview-scatter .js-plotly-plot');"
                          "Plotly.Fx.hover(gd, [{curveNumber: 0, pointNumber: arguments[0]}]);", index)
    wait_for(driver, "document.querySelector('#overview-scatter .hoverlayer .hovertext')", what="scatter hover")
    label = _text(driver, "#overview-scatter .hoverlayer")
    assert f"tag {IDS['c']}" in label and METRICS[0] in label and METRICS[1] in label, label
    titles = [_text(driver, "#overview-scatter .g-xtitle"), _text(driver, "#overview-scatter .g-ytitle")]
    assert titles == list(METRICS), titles  # axis titles: the literal names

    compare = wait_for(driver, "document.querySelector('#overview-compare .js-plotly-plot') && "
                               "document.querySelector('#overview-compare').textContent", what="compare tab")
    assert OPERATION in compare or "amount" in compare, compare

    for tab, pane in (("Filter", "#overview-filter-pane"), ("Pareto & budgets", "#overview-pareto-pane")):
        driver.execute_script("[...document.querySelectorAll('#overview-tab label')]"
                              ".find(l => l.textContent.trim() === arguments[0]).click();", tab)
        wait_for(driver, f"!document.querySelector('{pane}').hidden && "
                         f"document.querySelector('{pane}').textContent.length > 0", what=f"the {tab} tab")
        assert METRICS[0] in _text(driver, pane), (tab, _text(driver, pane))  # the metric dropdown
    screenshot(driver, "security-overview.png")
    _inert(driver)


def test_detail_pages_show_hostile_names_as_text(driver, hostile_server):
    a, root = IDS["a"], IDS["root"]
    query = urlencode({"models": encode_ids([root, a, IDS["c"]]), "base": encode_ids([root])})
    driver.get(hostile_server + "/behaviors?" + query)
    wait_for(driver, "document.querySelector('#behaviors-load')", what="the Load predictions button")
    assert a in _text(driver, ".cc-page") and root in _text(driver, ".cc-page")
    driver.find_element("id", "behaviors-load").click()
    wait_for(driver, "document.querySelector('#behaviors-status')?.textContent.startsWith('Predictions ready')",
             timeout=120, what="predictions")
    wait_for(driver, "document.querySelector('.ag-header-cell-text')", what="the grid's header")
    headers = driver.execute_script(
        "return [...document.querySelectorAll('.ag-header-cell-text')].map(e => e.textContent);")
    assert any(a in h for h in headers) and any(root in h for h in headers), headers
    _inert(driver)

    driver.get(hostile_server + "/layers?" + query)
    wait_for(driver, f"document.querySelector('.cc-page')?.textContent.includes({json.dumps(a)})", what="layers")
    _inert(driver)


def test_the_payloads_do_run_as_html(driver, hostile_server):
    """A control: the same payload, put into the page as HTML, runs (so the tests above can fail)."""
    driver.get(hostile_server + "/")
    wait_for(driver, "document.querySelector('#app-topbar')", what="the page")
    driver.execute_script("document.body.insertAdjacentHTML('beforeend', arguments[0]);", IDS["root"])
    wait_for(driver, "window.__pwned === 1", what="the payload to run")
    driver.get("about:blank")
    driver.get_log("browser")  # drop the control's own console noise (the image that failed to load)
