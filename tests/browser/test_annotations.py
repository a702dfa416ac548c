"""Review notes in a real browser, on the demo: flag a model as a regression with a note that
looks like HTML, see it as inert text in the info card and on the list page, export the CSV."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.browser.conftest import CY, console_errors, screenshot, wait_for
from tests.browser.overview_support import open_overview
from tests.support.gunicorn import REPO, serve

NOTE = "<script>alert(1)</script> needs a look"
RINGS = "document.querySelector('#overview-scatter .js-plotly-plot')?.data?.[3]?.customdata"
NOTE_TEXTS = "[...document.querySelectorAll('.cc-note-text')].map(e => e.innerText)"


def test_flag_a_demo_model_as_regression(driver, demo_cache: Path, tmp_path: Path):
    env = {"CC_ANNOTATIONS_URL": f"sqlite:///{tmp_path / 'notes.sqlite'}"}  # not the shared demo cache
    with serve(REPO / "configs" / "demo.yaml", demo_cache, workers=1, threads=2, env=env,
               log=tmp_path / "gunicorn.log") as url:
        open_overview(driver, url + "/?sel=cnn", scatter=False)
        wait_for(driver, "document.querySelector('#overview-note-save')", what="the notes form")
        driver.find_element("id", "overview-note-status").click()
        option = wait_for(driver, "[...document.querySelectorAll('[role=option]')]"
                                  ".find(o => o.innerText.trim() === 'regression')", what="the regression option")
        option.click()
        driver.find_element("id", "overview-note-text").send_keys(NOTE)
        driver.find_element("id", "overview-note-save").click()
        wait_for(driver, f"{NOTE_TEXTS}.includes({NOTE!r})", what="the saved note in the info card")
        assert driver.execute_script("return document.querySelectorAll('.cc-notes script').length") == 0
        assert driver.execute_script("return document.querySelector('.cc-note .cc-flag').innerText") == "regression"
        assert driver.find_element("id", "overview-note-text").get_attribute("value") == ""
        wait_for(driver, f"{CY}.getElementById('cnn').hasClass('flag-regression')", what="the ring on the map")
        assert driver.execute_script(f"return {CY}.nodes('.flagged').map(n => n.id())") == ["cnn"]
        wait_for(driver, f"{RINGS}?.[0] === 'cnn'", what="the ring on the scatterplot")
        screenshot(driver, "annotations-card.png")

        open_overview(driver, url + "/?flag=regression", scatter=False)  # the URL selects the flagged
        wait_for(driver, f"{CY}.getElementById('cnn').hasClass('flag-regression')", what="the ring on load")
        assert driver.execute_script(f"return {CY}.nodes(':selected').map(n => n.id())") == ["cnn"]
        assert driver.execute_script(f"return {RINGS}") == ["cnn"]

        driver.get(url + "/annotations?status=regression")
        wait_for(driver, f"{NOTE_TEXTS}.includes({NOTE!r})", what="the note on the list page")
        row = driver.execute_script("return [...document.querySelectorAll('#annotations-table tbody td')]"
                                    ".map(td => td.innerText)")
        assert row[:4] == ["cnn", "regression", NOTE, "anonymous"]
        csv = driver.execute_async_script(
            "const done = arguments[0];"
            "fetch(document.querySelector('#annotations-export').href).then(r => r.text()).then(done);")
        lines = csv.strip().split("\n")
        assert lines[0].startswith("id,target,model_id,instance_id,scope,status,note,author")
        assert len(lines) == 2 and f",cnn,,global,regression,{NOTE},anonymous," in lines[1]
        assert driver.execute_script("return document.querySelectorAll('script:not([src])').length") \
            == driver.execute_script("return [...document.querySelectorAll('script:not([src])')]"
                                     ".filter(s => !s.innerText.includes('alert(1)')).length")
        assert not [e for e in console_errors(driver) if "alert" in e]

        open_overview(driver, url + "/?sel=cnn", scatter=False)  # its author deletes the note
        wait_for(driver, "document.querySelector('#overview-note-list .cc-note-delete')", what="Delete")
        driver.find_element("css selector", "#overview-note-list .cc-note-delete").click()
        wait_for(driver, "document.querySelector('#overview-note-message')?.innerText === 'Deleted.'",
                 what="the deleted message")
        wait_for(driver, f"!{CY}.getElementById('cnn').hasClass('flagged')", what="the ring gone")
        assert driver.execute_script("return document.querySelectorAll('#overview-note-list .cc-note').length") == 0


BH_MODELS = "models=cnn,cnn-gprune95-ft,cnn-iter98-ft&base=cnn"
# the instance column is pinned left; rows in the grid's order (its DOM order may differ after a refresh)
BH_ROWS = ("[...document.querySelectorAll('.bh-grid .ag-pinned-left-cols-container .bh-instance')].sort((a, b) =>"
           " a.closest('.ag-row').getAttribute('row-index') - b.closest('.ag-row').getAttribute('row-index'))")
BH_IDS = f"{BH_ROWS}.map(r => r.querySelector('code').innerText)"
BH_BADGES = ("Object.fromEntries([...document.querySelectorAll('.bh-instance')].filter(r => r.querySelector"
             "('.cc-flag')).map(r => [r.querySelector('code').innerText, r.querySelector('.cc-flag').innerText]))")


def _instances(driver, url: str) -> list[str]:
    """Open a Behaviors URL at the instance level (pressing Load once if the predictions are not
    cached yet) and return the ids of the rows drawn."""
    driver.get(url)
    state = wait_for(driver, f"{BH_ROWS}.length ? 'rows' : (document.querySelector('#behaviors-empty')"
                             "?.innerText || '').includes('not computed') ? 'empty' : ''", timeout=60,
                     what="rows or the not-computed state")
    if state == "empty":
        driver.find_element("id", "behaviors-load").click()
    wait_for(driver, f"{BH_ROWS}.length && {BH_ROWS}.every(r => r.querySelector('code'))", timeout=180,
             what="instance rows")
    return driver.execute_script(f"return {BH_IDS}")


def _pick(driver, dropdown: str, label: str) -> None:
    driver.find_element("id", dropdown).click()
    wait_for(driver, "[...document.querySelectorAll('[role=option]')]"
                     f".find(o => o.innerText.trim() === {label!r})", what=label).click()


def _note(driver, row: int, status: str, text: str, everywhere: bool = False) -> str:
    """Press Note on a row, fill the card and save; the instance id it was for."""
    instance = driver.execute_script(f"return {BH_IDS}[{row}]")
    driver.execute_script(f"{BH_ROWS}[{row}].querySelector('.bh-note-button').click()")
    wait_for(driver, f"document.querySelector('#behaviors-note-head code')?.innerText === {instance!r}",
             what="the notes card on the instance")
    _pick(driver, "behaviors-note-status", status)
    if everywhere:
        driver.find_element("css selector", "#behaviors-note-where input[value=global]").click()
    driver.find_element("id", "behaviors-note-text").send_keys(text)
    driver.find_element("id", "behaviors-note-save").click()
    wait_for(driver, f"document.querySelector('#behaviors-note-message')?.innerText === 'Saved ({status}).'",
             what="the saved message")
    return instance


def test_flag_instances_on_behaviors_and_keep_only_the_flagged(driver, demo_cache: Path, tmp_path: Path):
    """Note an instance for this comparison and another for every comparison: badges in the rows,
    the note inert in the card, "Flagged only" and flag= keep exactly them, another comparison
    sees only the global one, and the list page has both."""
    env = {"CC_ANNOTATIONS_URL": f"sqlite:///{tmp_path / 'notes.sqlite'}"}
    cache = tmp_path / "cache"  # its own copy: the predictions it loads must not be cached for
    shutil.copytree(demo_cache, cache)  # the tests that load them from nothing (test_behaviors_load)
    with serve(REPO / "configs" / "demo.yaml", cache, workers=1, threads=2, env=env,
               log=tmp_path / "gunicorn.log") as url:
        page = f"{url}/behaviors?{BH_MODELS}&level=instance"
        ids = _instances(driver, page)
        here = _note(driver, 1, "regression", NOTE)
        wait_for(driver, f"({BH_BADGES})[{here!r}] === 'regression'", what="the badge in the row")
        assert driver.execute_script(f"return {BH_IDS}")[:8] == ids[:8]  # refreshed in place, same order
        assert NOTE in driver.execute_script("return document.querySelector('#behaviors-note-list').innerText")
        assert driver.execute_script("return document.querySelectorAll('#behaviors-notes script').length") == 0
        everywhere = _note(driver, 3, "needs review", "label looks wrong", everywhere=True)
        wait_for(driver, f"Object.keys({BH_BADGES}).length === 2", what="two badges")
        screenshot(driver, "behaviors-instance-note.png")
        mistake = _note(driver, 5, "approved", "wrong row")  # its author deletes it again
        wait_for(driver, f"Object.keys({BH_BADGES}).length === 3", what="three badges")
        driver.find_element("css selector", "#behaviors-note-list .cc-note-delete").click()
        wait_for(driver, "document.querySelector('#behaviors-note-message')?.innerText === 'Deleted.'",
                 what="the deleted message")
        wait_for(driver, f"!({mistake!r} in {BH_BADGES}) && Object.keys({BH_BADGES}).length === 2",
                 what="the badge gone")

        _pick(driver, "behaviors-review", "Flagged only")
        wait_for(driver, "location.search.includes('flagged=1')", what="flagged=1 in the URL")
        wait_for(driver, f"{BH_ROWS}.length === 2", what="the two flagged rows")
        assert sorted(driver.execute_script(f"return {BH_IDS}")) == sorted([here, everywhere])
        assert "flagged only" in driver.execute_script("return document.querySelector('#behaviors-filters').innerText")

        assert _instances(driver, page + "&flag=regression") == [here]  # a bookmark of one status
        other = f"{url}/behaviors?models=cnn,cnn-int8&base=cnn&level=instance&flagged=1"
        assert _instances(driver, other) == [everywhere]  # the global note only
        assert not [e for e in console_errors(driver) if "alert" in e]

        driver.get(url + "/annotations")
        wait_for(driver, f"{NOTE_TEXTS}.includes({NOTE!r})", what="the instance note on the list page")
        cells = driver.execute_script("return [...document.querySelectorAll('#annotations-table tbody tr')]"
                                      ".map(tr => tr.innerText)")
        assert len(cells) == 2 and any(everywhere in c and "global" in c for c in cells)
