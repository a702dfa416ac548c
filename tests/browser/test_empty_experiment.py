"""A live experiment before its first model: gunicorn serves it, the Overview says why it is
empty, and the first model logged by an ExperimentLog shows on the next reload."""

from __future__ import annotations

from pathlib import Path

from backend.experiment.tracking import ExperimentLog
from tests.browser.conftest import CY, console_errors, screenshot, wait_for
from tests.support.servers import gunicorn_app


def test_empty_live_experiment_then_its_first_model(driver, tmp_path: Path):
    log = ExperimentLog(tmp_path / "run" / "models.yaml", name="Live run")
    log.set_metric("Accuracy", primary=True, format=".2%", min=0, max=1, higher_is_better=True)
    with gunicorn_app(log.path, tmp_path / "cache") as url:
        driver.get(url + "/")
        text = wait_for(driver, "document.querySelector('#overview-empty')?.parentElement?.innerText",
                        what="the empty state")
        assert "No models yet" in text and str(log.path) in text
        assert "models appear here as they are logged" in text
        screenshot(driver, "empty-experiment.png")
        assert driver.execute_script("return document.querySelector('#overview-map');") is None
        log.log_model("base", metrics={"Accuracy": 0.91})
        log.log_model("p50", base="base", operation=("prune", {"amount": 0.5}), metrics={"Accuracy": 0.9})
        driver.find_element("link text", "Reload").click()
        nodes = wait_for(driver, f"{CY} && {CY}.nodes().length", what="the map with the logged models")
        assert nodes >= 2
        assert driver.execute_script("return document.querySelector('#overview-empty');") is None
        screenshot(driver, "empty-experiment-first-models.png")
        assert console_errors(driver) == []
