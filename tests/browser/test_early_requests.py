"""server/early_requests.py in a real page: the layout and the callback graph are asked for once,
while the page is still being parsed, and the renderer draws from those answers; a later fetch of
the same URL, or an early answer that is not a 200, goes to the network."""

from __future__ import annotations

import re

from server.early_requests import script
from tests.browser.conftest import console_errors, wait_for
from tests.browser.overview_support import open_overview

ENTRIES = ("performance.getEntriesByType('resource').filter(e => e.name.includes(%r))"
           ".map(e => [e.startTime, e.responseEnd])")


def test_the_layout_is_requested_once_before_the_bundles_are_in(driver, demo_server):
    open_overview(driver, demo_server + "/?sel=base")
    layout = driver.execute_script(f"return {ENTRIES % '/_dash-layout'};")
    graph = driver.execute_script(f"return {ENTRIES % '/_dash-dependencies'};")
    parsed = driver.execute_script("return performance.getEntriesByType('navigation')[0].domInteractive;")
    assert len(layout) == 1 and len(graph) == 1  # the renderer's own fetch got the early answer
    # asked while the page was still being parsed (its scripts run), not once the renderer ran
    assert layout[0][0] < parsed and graph[0][0] < parsed
    assert console_errors(driver) == []
    # the early answer is used once: a second fetch is a request of its own
    driver.execute_script("performance.clearResourceTimings();"  # its buffer holds 250 entries
                          "fetch('/_dash-layout').then(r => r.json()).then(j => window.__again = !!j);")
    wait_for(driver, "window.__again === true", what="a second layout fetch")
    assert len(driver.execute_script(f"return {ENTRIES % '/_dash-layout'};")) == 1


def test_an_early_answer_that_is_not_a_200_is_asked_again(driver, demo_server):
    open_overview(driver, demo_server + "/", scatter=False)
    body = re.sub(r"</?script>", "", script("/_dash-component-suites/missing/"))
    driver.execute_script("performance.clearResourceTimings();" + body)  # as a page served under that prefix would start it
    driver.execute_script("fetch('/_dash-component-suites/missing/_dash-layout').then(r => window.__status = r.status);")
    assert wait_for(driver, "window.__status", what="the fallback's answer") == 404
    # each request's entry is added once its body is in
    wait_for(driver, f"{ENTRIES % '/_dash-component-suites/missing/_dash-layout'}.length === 2",
             what="two requests of the URL")
    # the only errors are the 404s asked for (read here: the next test must not see them)
    wait_for(driver, f"{ENTRIES % '/_dash-component-suites/missing/_dash-dependencies'}.length === 1",
             what="the early request of the callback graph")
    assert all("/_dash-component-suites/missing/" in line for line in console_errors(driver))
