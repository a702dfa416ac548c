"""The Compare tab's table is built in the browser from its JSON (assets/cc_tables.js): the
cells a user sees are exactly the builder's, ids keep their tooltip, and a new selection
rebuilds it in place."""

from __future__ import annotations

from backend.overview.compare import compute
from components.overview.compare_tab import comparison_table
from components.shared.data_table import spec_of
from tests.browser.conftest import page_json, wait_for
from tests.browser.overview_support import open_overview

SEL = ["cnn", "cnn-gprune95-ft", "cnn-iter98-ft"]
CELLS = """[...document.querySelectorAll('#overview-compare-table tr')].map(
    tr => [...tr.children].map(c => c.textContent))"""


def _expected(forest, selection: list[str]) -> list[list[str]]:
    spec = spec_of(comparison_table(forest, compute(forest, selection, "").simplified))
    return [spec["head"], *spec["rows"]]


def test_the_table_shows_the_builders_cells_and_follows_the_selection(driver, demo_server, demo_experiment):
    forest = demo_experiment.forest
    open_overview(driver, demo_server + f"/?sel={','.join(SEL)}&tab=compare")
    wait_for(driver, "document.querySelectorAll('#overview-compare-table tbody tr').length === 3",
             what="the comparison table")
    assert page_json(driver, CELLS) == _expected(forest, SEL)
    assert driver.execute_script(
        "return document.querySelector('#overview-compare-table tbody td').title") == SEL[0]
    # the Update Selection path: a new selection store value re-renders the tab's table
    driver.execute_script(
        "window.dash_clientside.set_props('overview-selection', {data: arguments[0]});", SEL[:2])
    wait_for(driver, "document.querySelectorAll('#overview-compare-table tbody tr').length === 2",
             what="the table of two models")
    assert page_json(driver, CELLS) == _expected(forest, SEL[:2])
