"""An exported snapshot of the demo opens from file:// with every network request blocked:
the Plotly charts draw (plotly.js inflated from the file itself), the SVG map has one node per
model, and the browser never tries the network."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import _chrome_missing, screenshot, wait_for
from tests.conftest import REPO
from tests.support.chromium import headless_chromium

SELECTION = ("cnn", "cnn-gprune95-ft", "cnn-iter98-ft")
MAX_BYTES = 5_000_000


@pytest.fixture(scope="module")
def offline_driver() -> Iterator:
    """A Chromium of its own: the network log on and every URL blocked, offline."""
    missing = _chrome_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} not found: install Debian's chromium and chromium-driver")
        pytest.skip(f"{missing} not installed (apt-get install chromium chromium-driver)")
    drv = headless_chromium({"browser": "ALL", "performance": "ALL"})
    try:
        drv.execute_cdp_cmd("Network.enable", {})
        drv.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*"]})
        drv.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
        yield drv
    finally:
        drv.quit()


def _requests(drv) -> list[str]:
    """URLs of every request the page started since the log was last read."""
    events = [json.loads(e["message"])["message"] for e in drv.get_log("performance")]
    return [m["params"]["request"]["url"] for m in events if m["method"] == "Network.requestWillBeSent"]


def test_demo_snapshot_opens_offline_with_charts_and_map(demo_cache: Path, offline_driver, tmp_path: Path):
    out = tmp_path / "snapshot.html"
    run = subprocess.run([sys.executable, str(REPO / "app.py"), "--cache-dir", str(demo_cache),
                          "--snapshot", f"/?sel={','.join(SELECTION)}", "-o", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=REPO)
    assert run.returncode == 0, run.stderr
    size = out.stat().st_size
    assert size < MAX_BYTES, f"{size:,} bytes"
    html = out.read_text()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    drv = offline_driver
    _requests(drv)
    drv.get(out.as_uri())
    state = wait_for(drv, "document.body.dataset.charts !== 'none' && document.body.dataset.charts",
                     timeout=60, what="the snapshot's charts")
    assert state == "drawn", drv.find_element("id", "snap-js-note").text
    plots = drv.execute_script("return document.querySelectorAll('.js-plotly-plot').length")
    drawn = drv.execute_script("return document.querySelectorAll('.js-plotly-plot .main-svg').length")
    figures = drv.execute_script("return JSON.parse(document.getElementById('snap-figures').textContent).length")
    assert plots == figures >= 2 and drawn >= plots  # the scatterplot and one bar chart per primary metric
    n_models = int(re.search(r"(\d+) in the experiment", html).group(1))
    nodes = drv.execute_script("return [...document.querySelectorAll('svg.snap-map .snap-node')]"
                               ".map(g => g.querySelector('title').textContent.split('\\n')[0])")
    assert len(nodes) == n_models == len(set(nodes)) and set(SELECTION) <= set(nodes)
    selected = drv.execute_script("return [...document.querySelectorAll('.snap-node.snap-selected')]"
                                  ".map(g => g.dataset.model)")
    assert sorted(selected) == sorted(SELECTION)
    assert "Comparison table" in drv.find_element("tag name", "main").text
    height = drv.execute_script("return document.body.scrollHeight")
    drv.set_window_size(1440, min(height + 120, 4000))
    screenshot(drv, "snapshot-offline.png")
    drv.set_window_size(1440, 900)
    attempted = [u for u in _requests(drv) if not u.startswith(("file:", "data:"))]
    assert attempted == [], attempted
