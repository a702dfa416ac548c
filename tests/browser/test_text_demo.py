"""The text demo in a real browser: a T5 trained here, its generated answers on Behaviors (text
instances, answers shown whole, sorted by F1 change, reload keeps the view) and the T5 module
tree on Layers sorted by weight change.

The models are read from the built demo's models file: the base is the root, the broken model
is the one with the lowest exact match, so the test follows what the build measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest

from tests.browser.conftest import console_errors, screenshot, wait_for
from tests.support.servers import gunicorn_app

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "configs" / "demo-text.yaml"
GRID_ROWS = "document.querySelectorAll('.bh-grid .ag-center-cols-container .ag-row').length"
EMPTY = "document.querySelector('#behaviors-empty')?.innerText || ''"
ROWS_JS = """
return [...document.querySelectorAll('.bh-grid .ag-center-cols-container .ag-row')]
  .sort((a, b) => +a.getAttribute('row-index') - +b.getAttribute('row-index'))
  .map(r => ({index: +r.getAttribute('row-index'),
              cells: Object.fromEntries([...r.querySelectorAll('.ag-cell')].map(c =>
                [c.getAttribute('col-id'), {pred: c.querySelector('.bh-pred')?.innerText ?? null,
                                            label: c.querySelector('.bh-bar-label')?.innerText ?? null}]))}));
"""
ITEMS_JS = """
return [...document.querySelectorAll('.bh-grid .ag-pinned-left-cols-container .ag-row')]
  .sort((a, b) => +a.getAttribute('row-index') - +b.getAttribute('row-index'))
  .map(r => ({id: r.querySelector('.bh-item code')?.innerText ?? '',
              text: r.querySelector('.bh-text')?.innerText ?? '',
              label: r.querySelector('.bh-item .cc-hint')?.innerText ?? '',
              clipped: (() => { const t = r.querySelector('.bh-text'), c = r.querySelector('.bh-item');
                                return !!t && !!c && t.getBoundingClientRect().top < c.getBoundingClientRect().top - 1; })()}));
"""


@pytest.fixture(scope="module")
def text_demo(text_demo_cache: Path) -> Iterator[tuple[str, object]]:
    """(URL of the text demo served by gunicorn, its engine in this process)."""
    from backend.experiment.loader import load_experiment
    from backend.inference.engine import Engine
    from backend.inference.loading import make_inspector
    from backend.infra.cache import ResultCache

    exp = load_experiment(CONFIG, cache_dir=text_demo_cache)
    engine = Engine(exp.forest, make_inspector(exp.inspector, CONFIG.parent, exp.cache_dir),
                    ResultCache(exp.cache_dir / "results"))
    with gunicorn_app(CONFIG, text_demo_cache) as url:
        yield url, engine


def _pick(engine) -> tuple[str, str]:
    """(the root, the README's broken model: 70 % global pruning, whose answers repeat words)."""
    forest = engine.forest
    base = forest.roots[0]
    assert "t5-prune70" in forest and forest.parent("t5-prune70") == base
    return base, "t5-prune70"


def _load(driver, url: str) -> None:
    driver.get(url)
    state = wait_for(driver, f"({GRID_ROWS}) ? 'rows' : (({EMPTY}).includes('not computed') ? 'empty' : '')",
                     timeout=90, what="rows or the not-computed state")
    if state == "empty":
        driver.find_element("id", "behaviors-load").click()
    wait_for(driver, GRID_ROWS, timeout=300, what="rows")
    wait_for(driver, "!document.querySelector('[data-dash-is-loading=\"true\"]')", what="callbacks settled")
    # AG Grid renders the pinned instance column and the model columns separately: wait for both
    pinned = "[...document.querySelectorAll('.bh-grid .ag-pinned-left-cols-container .ag-row')]"
    wait_for(driver, f"{pinned}.length === {GRID_ROWS} && {pinned}.every(r => r.querySelector('.bh-item code'))",
             what="the instance column rendered for every row")


def test_generated_answers_sorted_by_f1_change_shown_whole_and_kept_on_reload(driver, text_demo):
    url, engine = text_demo
    base, broken = _pick(engine)
    query = (f"models={quote(base)},{quote(broken)}&base={quote(base)}&comparison=F1&mode=relative"
             f"&level=instance&sort={quote(broken)}:desc")
    _load(driver, f"{url}/behaviors?{query}")
    items, rows = driver.execute_script(ITEMS_JS), driver.execute_script(ROWS_JS)
    assert items and rows and len(items) == len(rows)
    screenshot(driver, "text-behaviors.png")

    ds = engine.dataset
    answers = {m: engine.predictions(m)["text"] for m in (base, broken)}
    f1 = {m: np.asarray(engine.predictions(m)["f1"]) for m in (base, broken)}
    index = {str(i): k for k, i in enumerate(ds.ids.tolist())}
    change = np.abs(f1[broken] - f1[base])
    first = [index[item["id"]] for item in items]
    # sorted by the size of the F1 change: the broken answers first
    assert np.all(np.diff(change[first]) <= 1e-12), change[first]
    assert change[first[0]] == change.max() > 0
    for item, row, k in zip(items, rows, first, strict=True):
        question, context = engine.inspector.items[k].question, engine.inspector.items[k].context
        assert item["text"].startswith(question) and context in item["text"]  # the question, then the context
        assert not item["clipped"]  # long text starts at the top of its cell
        assert item["label"] == "Label: " + " | ".join(ds.references[k])
        shown = row["cells"]["m1"]["pred"]
        expected = answers[broken][k] or "∅ (empty answer)"
        assert shown == expected  # whole: nothing trimmed, repetitions included
    shown = [row["cells"]["m1"]["pred"] for row in rows]
    assert any(len(set(a.split())) == 1 and len(a.split()) > 1 for a in shown), shown  # "doctor doctor ..."
    assert "∅ (empty answer)" in shown
    assert console_errors(driver) == []

    before = driver.current_url
    driver.refresh()
    _load(driver, before)
    assert driver.current_url == before
    assert [i["id"] for i in driver.execute_script(ITEMS_JS)][:8] == [i["id"] for i in items][:8]


def test_layers_t5_module_tree_sorted_by_weight_change(driver, text_demo):
    url, engine = text_demo
    base, broken = _pick(engine)
    driver.get(f"{url}/layers?models={quote(base)},{quote(broken)}&base={quote(base)}&tensor=weights"
               f"&sort={quote(broken)}:desc")
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row, .cc-ly-nodata')", timeout=60,
             what="the Layers page")
    if driver.execute_script("return !!document.querySelector('.cc-ly-nodata')"):
        driver.find_element("id", "layers-load").click()
    wait_for(driver, "document.querySelector('#layers-tree .cc-ly-row')", timeout=300, what="the module tree")
    wait_for(driver, "!document.querySelector('[data-dash-is-loading=\"true\"]')", what="callbacks settled")
    names = driver.execute_script(
        "return [...document.querySelectorAll('#layers-tree .cc-ly-row')].map(r => r.getAttribute('data-node'));")
    # the T5 module tree (encoder and decoder blocks, attention and feed-forward modules)
    assert any(n.startswith("encoder.block.") for n in names) and any(n.startswith("decoder.block.") for n in names)
    head = driver.find_element("css selector", ".cc-ly-head").text
    screenshot(driver, "text-layers.png")
    assert "highest first" in head  # sorted by the broken model's change
    assert console_errors(driver) == []
