"""The Model Map's timeline on the demo in headless Chromium: "Arrange by time" puts the demo's
models in columns of when the builder made them, the URL says arrange=time, the column headers
are times, and no two models share a position."""

from __future__ import annotations

import re

from backend.overview.drawing import drawn_layout
from tests.browser.conftest import CY, click_at, console_errors, screenshot, wait_for
from tests.browser.overview_support import HEADING, HEADS, header, open_overview, query, selected

# '14:05:30', '14:05', 'Dec 7 14:05:30 UTC' (the first, and where the date changes), 'Dec 7', 'Dec 7 2024'
TIME_LABEL = re.compile(r"([A-Z][a-z]{2} \d{1,2} )?\d{2}:\d{2}(:\d{2})?( UTC)?|[A-Z][a-z]{2} \d{1,2}( \d{4})?")


def test_arrange_by_time_shows_a_timeline_of_the_demo(driver, demo_server, demo_experiment):
    forest = demo_experiment.forest
    assert all(m.created is not None for m in forest)  # the builder records every model's time
    open_overview(driver, demo_server + "/")
    label = driver.find_element("xpath", "//*[@id='overview-arrange']//label[contains(., 'Arrange by time')]")
    label.click()
    wait_for(driver, "location.search.includes('arrange=time')", what="arrange=time in the URL")
    wait_for(driver, f"{CY}.nodes('.colhead').map(n => n.data('label')).some(l => l.endsWith(' UTC'))",
             what="time columns")
    wait_for(driver, f"{HEADS}.some(e => e.textContent.endsWith(' UTC'))", what="the header strip redrawn")
    assert query(driver)["arrange"] == ["time"]
    expected = drawn_layout(forest, "time", ())[0]
    heads = driver.execute_script(f"return {HEADS}.map(e => [e.textContent,"
                                  " e.classList.contains('cc-colhead-empty')]);")
    assert [text for text, _ in heads] == expected.columns  # one label per column, in order
    shown = [text for text, empty in heads if not empty]
    assert shown and all(TIME_LABEL.fullmatch(text) for text in shown), shown
    assert shown[0].endswith(" UTC") and "no time" not in shown
    assert all(empty == (text == "") for text, empty in heads)  # a bucket's sub-columns: no label
    nodes = driver.execute_script(f"return {CY}.nodes().filter(n => !n.hasClass('colhead'))"
                                  ".map(n => [n.id(), n.position('x'), n.position('y')]);")
    assert len(nodes) == len(forest)
    assert len({(x, y) for _, x, y in nodes}) == len(nodes)  # every model has its own position
    # time runs left to right: a child was made after its parent, so it is never left of it
    x = {mid: px for mid, px, _ in nodes}
    assert all(x[m.id] >= x[m.base] for m in forest if m.base is not None)
    screenshot(driver, "overview-demo-timeline.png")
    # a click on a time selects its whole bucket: the labelled column and its sub-columns
    starts = [i for i, text in enumerate(expected.columns) if text] + [len(expected.columns)]
    span, start = max((b - a, a) for a, b in zip(starts, starts[1:], strict=False))
    assert span > 1  # the builder makes several models a second: some bucket needs sub-columns
    bucket = {mid for mid, (col, _) in expected.positions.items() if start <= col < start + span}
    head = header(driver, expected.columns[start])
    click_at(driver, head["x"], head["y"])
    wait_for(driver, f"{HEADING} === '{len(bucket)} Models Selected'", what="the bucket's models selected")
    assert selected(driver) == bucket
    assert console_errors(driver) == []
