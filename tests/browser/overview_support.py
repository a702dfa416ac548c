"""What the Overview's browser tests on the demo share: opening the page, reading what a user
sees (heading, selection, header strip, hover card), and real pointer input on the map."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import CY, pointer_gesture, wait_for

HEADING = "document.querySelector('#overview-details h3')?.textContent"
POINTS = "#overview-scatter .scatterlayer .trace:first-child .point"
HEADS = "[...document.querySelectorAll('.cc-colheads .cc-colhead')]"
# Every URL the page writes (dcc.Location pushes it): a selection that flashed by is caught too.
RECORD_URLS = (
    "window._ccUrls = []; for (const k of ['pushState', 'replaceState']) {"
    " const f = history[k].bind(history);"
    " history[k] = (s, t, u) => { window._ccUrls.push(String(u)); return f(s, t, u); }; }"
)


def open_overview(driver, url: str, scatter: bool = True) -> None:
    """Load the page; wait for the fitted map and its header strip (and the scatterplot)."""
    driver.get(url)
    wait_for(driver, f"{CY} && {CY}.nodes().length > 0 && {CY}._ccFitted"
                     f" && document.querySelector('#overview-map canvas') && {HEADS}.length > 0",
             what="the fitted map and its column headers")
    if scatter:
        wait_for(driver, f"document.querySelectorAll('{POINTS}').length > 0", what="scatterplot points")


def heading(driver) -> str:
    return driver.execute_script(f"return {HEADING};")


def selected(driver) -> set[str]:
    return set(driver.execute_script(f"return {CY}.nodes(':selected').map(n => n.id());"))


def query(driver) -> dict:
    return parse_qs(urlsplit(driver.current_url).query)


def written_selections(driver) -> list[set[str]]:
    """The ``sel=`` of every URL written since RECORD_URLS ran."""
    out = []
    for url in driver.execute_script("return window._ccUrls || [];"):
        sel = parse_qs(urlsplit(url).query).get("sel", [""])[0]
        out.append(set(filter(None, sel.split(","))))
    return out


def redraw(driver) -> None:
    """Let Cytoscape draw the new viewport: it hit-tests against the last drawn frame."""
    driver.execute_async_script(
        "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done));")
    time.sleep(0.3)


def zoom_on(driver, node_id: str, level: float = 1.0) -> None:
    """Zoom the map on a model, as a user would before pointing at one of its edges."""
    driver.execute_script(
        f"const cy = {CY}; const p = cy.getElementById(arguments[0]).position();"
        "cy.viewport({zoom: arguments[1], pan: {x: cy.width() / 2 - p.x * arguments[1],"
        " y: cy.height() / 2 - p.y * arguments[1]}});", node_id, level)
    redraw(driver)


def map_point(driver, x: float, y: float) -> tuple[float, float]:
    """Viewport coordinates of a point in the map's model coordinates."""
    pos = driver.execute_script(
        f"const cy = {CY}; const z = cy.zoom(), p = cy.pan();"
        "const r = cy.container().getBoundingClientRect();"
        "return [r.left + p.x + arguments[0] * z, r.top + p.y + arguments[1] * z];", x, y)
    return pos[0], pos[1]


def move_to(driver, x: float, y: float) -> None:
    """A real pointer move (two steps, so the target sees the pointer arrive)."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    builder = ActionBuilder(driver)
    builder.pointer_action.move_to_location(int(x) - 3, int(y))
    builder.pointer_action.move_to_location(int(x), int(y))
    builder.perform()


def drag(driver, points: list[tuple[float, float]], shift: bool = False) -> None:
    """Press at the first point, move through the others, release."""
    pointer_gesture(driver, points, shift=shift)


def header(driver, label: str, nth: int = 0) -> dict:
    """Centre and rect of the nth column header with this label."""
    return driver.execute_script(
        f"const el = {HEADS}.filter(e => e.textContent === arguments[0])[arguments[1]];"
        "if (!el) return null; const r = el.getBoundingClientRect();"
        "return {x: r.left + r.width / 2, y: r.top + r.height / 2, left: r.left, right: r.right,"
        " top: r.top, bottom: r.bottom, column: Number(el.dataset.column)};", label, nth)
