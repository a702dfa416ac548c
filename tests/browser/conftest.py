"""Headless Debian Chromium driven by Selenium against the app served by gunicorn.

No tool downloads a browser: chromium and chromedriver come from Debian (.ci/run installs them).
Outside CI a machine without them skips these tests; in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, reference_tree
from tests.support.chromium import headless_chromium
from tests.support.servers import gunicorn_app

ARTIFACTS = REPO / "tests" / "browser" / "artifacts"
# Cytoscape warns on every mount that a custom wheel sensitivity is set; it is harmless.
ALLOWED_CONSOLE = ("You have set a custom wheel sensitivity",)
BROWSER_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser/ ``browser`` (``-m "not browser"`` skips Chromium).

    The hook sees the whole session's items, so it marks only those in this folder.
    """
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _chrome_missing() -> str | None:
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            return tool
    return None


@pytest.fixture(scope="session")
def driver() -> Iterator:
    """One headless Chromium for the session; console captured at every level."""
    missing = _chrome_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} not found: install Debian's chromium and chromium-driver")
        pytest.skip(f"{missing} not installed (apt-get install chromium chromium-driver)")
    drv = headless_chromium({"browser": "ALL"})
    try:
        yield drv
    finally:
        drv.quit()


def console_errors(drv) -> list[str]:
    """Console entries at SEVERE level, minus the known harmless Cytoscape warning."""
    return [e["message"] for e in drv.get_log("browser")
            if e["level"] == "SEVERE" and not any(a in e["message"] for a in ALLOWED_CONSOLE)]


def wait_for(drv, predicate_js: str, timeout: float = 30.0, what: str = "") -> object:
    """Poll a JS expression until it is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = drv.execute_script(f"return ({predicate_js});")
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate_js}")
        time.sleep(0.1)


CY = "document.querySelector('#overview-map')?._cyreg?.cy"


def cy_node_center(drv, node_id: str) -> dict:
    """Viewport coordinates of a map node (Cytoscape draws on a canvas, so no DOM to click)."""
    pos = drv.execute_script(
        f"const cy = {CY}; const n = cy.getElementById(arguments[0]);"
        "let p = n.renderedPosition(); let panned = false;"
        "if (p.x < 20 || p.y < 20 || p.x > cy.width() - 20 || p.y > cy.height() - 60) {"
        "  cy.center(n); p = n.renderedPosition(); panned = true; }"  # pan to it, as a user would
        "const r = document.querySelector('#overview-map').getBoundingClientRect();"
        "return {x: r.left + p.x, y: r.top + p.y, panned: panned};", node_id)
    if pos.pop("panned"):  # Cytoscape hit-tests against the last drawn frame: let it redraw
        drv.execute_async_script(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done));")
        time.sleep(0.5)
    return pos


def pointer_gesture(drv, points: list[tuple[float, float]], shift: bool = False) -> None:
    """Real input: press at the first point, move through the rest, release (shift optional).

    Key and pointer actions run in lockstep ticks, so each pointer step is paired with a key
    pause: otherwise the shift key would be released before the click lands.
    """
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.keys import Keys

    builder = ActionBuilder(drv)
    keys, pointer = builder.key_action, builder.pointer_action
    if shift:
        keys.key_down(Keys.SHIFT)
        pointer.pause(0)
    x, y = points[0]
    pointer.move_to_location(int(x), int(y))
    keys.pause(0)
    pointer.pointer_down()
    keys.pause(0)
    for x, y in points[1:]:
        pointer.move_to_location(int(x), int(y))
        keys.pause(0)
    pointer.pointer_up()
    keys.pause(0)
    if shift:
        keys.key_up(Keys.SHIFT)
        pointer.pause(0)
    builder.perform()


def click_at(drv, x: float, y: float, shift: bool = False) -> None:
    """A real mouse click at viewport coordinates, optionally with shift held."""
    pointer_gesture(drv, [(x, y)], shift=shift)


@pytest.fixture(scope="session")
def imagenet_server(tmp_path_factory) -> Iterator[str]:
    """The ImageNet reference tree served by gunicorn."""
    with gunicorn_app(reference_tree("imagenet.json"), tmp_path_factory.mktemp("cache")) as url:
        yield url


@pytest.fixture(scope="session")
def demo_server(demo_cache: Path) -> Iterator[str]:
    """The embedded demo (built once per session) served by gunicorn."""
    with gunicorn_app(REPO / "configs" / "demo.yaml", demo_cache) as url:
        yield url


def screenshot(drv, name: str) -> Path:
    """Save a PNG under tests/browser/artifacts (ignored by git) and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    drv.save_screenshot(str(path))
    return path


def page_json(drv, js: str) -> object:
    """Evaluate JS that returns JSON text (for deep objects Selenium would otherwise mangle)."""
    return json.loads(drv.execute_script(f"return JSON.stringify({js});"))

