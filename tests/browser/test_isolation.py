"""Two users at once: two Chromium sessions on one gunicorn server with two workers, each with its
own selection, filter, tab and base, acting in turn; each sees only its own state.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import CY, click_at, console_errors, cy_node_center, wait_for
from tests.support.bad_experiment import write_experiment
from tests.support.chromium import headless_chromium
from tests.support.servers import gunicorn_app


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("two-users")
    with gunicorn_app(write_experiment(folder), folder / "cache", workers=2) as url:
        yield url


@pytest.fixture
def second_driver(driver) -> Iterator:
    """Another, separate Chromium session (its own cookies, storage and memory)."""
    other = headless_chromium({"browser": "ALL"})
    try:
        yield other
    finally:
        other.quit()


def _overview(drv, url: str) -> None:
    """Open the overview and wait until its load has settled (map drawn, scatterplot mounted)."""
    drv.get(url)
    wait_for(drv, f"{CY} && {CY}.nodes().length > 0 && {CY}._ccFitted", what="the map")
    wait_for(drv, "document.querySelector('#overview-scatter .js-plotly-plot .main-svg')",
             what="the scatterplot (mounted last)")


def _query(drv) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(drv.current_url).query).items()}


def _selected(drv) -> set[str]:
    return set(drv.execute_script(f"return {CY}.nodes(':selected').map(n => n.id());"))


def _faded(drv) -> set[str]:
    return set(drv.execute_script(f"return {CY}.nodes('.faded').filter(n => !n.hasClass('colhead'))"
                                  ".map(n => n.id());"))


def _tab(drv, label: str) -> None:
    found = f"[...document.querySelectorAll('#overview-tab label')].find(l => l.textContent.trim().startsWith('{label}'))"
    wait_for(drv, found, what=f"the {label} tab")
    drv.execute_script(f"{found}.click();")


def _state(drv) -> dict:
    return {"sel": _selected(drv), "faded": _faded(drv), "query": _query(drv),
            "details": drv.find_element("css selector", "#overview-details h3").text}


def test_two_users_interleaved_each_see_only_their_own_state(driver, second_driver, shared_server):
    alice, bob = driver, second_driver
    _overview(alice, shared_server + "/?sel=a,b&filter=acc:0.8:1")
    _overview(bob, shared_server + "/?sel=c&filter=size:0:4&color=size&tab=pareto")

    alice.execute_script("[...document.querySelectorAll('.cc-map-buttons button')]"
                         ".find(b => b.textContent.includes('Parents')).click();")  # adds root
    pos = cy_node_center(bob, "b")
    click_at(bob, pos["x"], pos["y"])  # bob's selection becomes b alone
    _tab(alice, "Filter")
    wait_for(alice, "location.search.includes('tab=filter')", what="alice's tab in her URL")
    wait_for(alice, "document.querySelector('#overview-details h3')?.textContent === '3 Models Selected'",
             what="alice's three models")
    wait_for(bob, "document.querySelector('#overview-details h3')?.textContent === '1 Model Selected: b'",
             what="bob's one model")

    a, b = _state(alice), _state(bob)
    assert a["sel"] == {"a", "b", "root"} and b["sel"] == {"b"}
    assert a["faded"] == {"c"} and b["faded"] == {"root", "a"}
    assert a["query"]["sel"] == "a,b,root" and a["query"]["tab"] == "filter" and a["query"]["filter"].startswith("acc:")
    assert b["query"]["sel"] == "b" and b["query"]["tab"] == "pareto" and b["query"]["filter"].startswith("size:")
    assert b["query"]["color"] == "size" and a["query"]["color"] != "size"

    alice.refresh()  # a reload restores alice's view from her URL, untouched by bob's clicks
    _overview(alice, alice.current_url)
    wait_for(alice, "document.querySelector('#overview-details h3')?.textContent === '3 Models Selected'")
    assert _selected(alice) == {"a", "b", "root"} and _faded(alice) == {"c"}

    # the detail page with different bases, both computing at once
    alice.get(shared_server + "/behaviors?models=a,b&base=a")
    bob.get(shared_server + "/behaviors?models=a,b&base=b")
    for drv in (alice, bob):
        wait_for(drv, "document.querySelector('#behaviors-load')", what="the Load predictions button")
    alice.find_element("id", "behaviors-load").click()
    bob.find_element("id", "behaviors-load").click()
    headers = {}
    for name, drv in (("alice", alice), ("bob", bob)):
        wait_for(drv, "document.querySelector('#behaviors-status')?.textContent.startsWith('Predictions ready')",
                 timeout=120, what=f"{name}'s predictions")
        wait_for(drv, "document.querySelector('.ag-header-cell-text')", what=f"{name}'s grid")
        headers[name] = drv.execute_script(
            "return [...document.querySelectorAll('.ag-header-cell-text')]"
            ".map(e => (e.querySelector('.bh-head-name') || e).textContent.trim());")
    assert "a (Base)" in headers["alice"] and "b (Base)" not in headers["alice"], headers
    assert "b (Base)" in headers["bob"] and "a (Base)" not in headers["bob"], headers
    assert _query(alice)["base"] == "a" and _query(bob)["base"] == "b"
    assert console_errors(alice) == [] and console_errors(bob) == []
