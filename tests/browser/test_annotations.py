"""Review notes in a real browser, on the demo: flag a model as a regression with a note that
looks like HTML, see it as inert text in the info card and on the list page, export the CSV."""

from __future__ import annotations

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
