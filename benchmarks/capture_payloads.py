"""Record the callback payloads a real browser sends, as templates for ``benchmarks/load.py``.

    python -m benchmarks.capture_payloads --url http://127.0.0.1:8050 [--out PATH]
                                          [--pages overview,behaviors,layers]

Drives headless Debian Chromium (``chromium`` + ``chromedriver``) through the demo served at
``--url``: the overview opened with a 3-model selection, a search, the Filter, Pareto and
Compare tabs; the Behaviors page of the same models, its "Load predictions" job and the
grid's first rows; the Layers page and its load job. Every ``POST /_dash-update-component``
body is read from Chromium's performance log (the DevTools ``Network.requestWillBeSent``
events). Background-job polls are dropped (the load script polls by itself); a first request
followed by polls is marked ``background``, with the callback's polling interval.

The selection is then replaced by placeholders, so each simulated user can send its own:
``$SEL`` (a JSON list of ids), ``$BASE`` (the first id, under a ``base`` key), ``$M0``, ``$M1``,
... (the i-th id, under a ``model`` key: per-model component ids), and inside strings
``{sel}`` (ids joined by commas, as ``encode_ids`` writes them), ``{sel_q}`` (the same,
URL-encoded as it appears in a query string) and ``{base_q}`` (the first id after ``base=`` in
a query string). Finally each step is replayed once with the captured selection to record its
status and whether its response echoes the selection (``echo``), which the load script checks
for every user.

Each page is an entry of ``pages`` in the JSON. Re-record after a page's callbacks change
(the short load test then fails with unexpected statuses); a new page needs a scenario in
``capture`` below, or hand-written steps in the same format.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from tests.support.chromium import headless_chromium
from tests.support.load import encode_ids, end_id, fill, poll_body, selections_in

OUT = Path(__file__).with_name("payloads") / "demo.json"
SELECTION = ["cnn", "cnn-gprune98", "cnn-gprune98-restore-fc1-ft"]
UPDATE = "/_dash-update-component"


def _driver():
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install chromium chromium-driver")
    return headless_chromium({"performance": "ALL"})


def _wait(drv, js: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = drv.execute_script(f"return ({js});")
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {js}")


def _requests(drv, phase: int, quiet: float = 1.5, timeout: float = 120.0) -> list[dict]:
    """Drain the performance log until no callback request was sent for ``quiet`` seconds."""
    seen: list[dict] = []
    last = time.monotonic()
    deadline = last + timeout
    while time.monotonic() - last < quiet and time.monotonic() < deadline:
        for entry in drv.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") != "Network.requestWillBeSent":
                continue
            req = msg["params"]["request"]
            if UPDATE not in req["url"] or req.get("method") != "POST":
                continue
            body = req.get("postData")
            if body is None:
                body = drv.execute_cdp_cmd("Network.getRequestPostData",
                                           {"requestId": msg["params"]["requestId"]})["postData"]
            seen.append({"url": req["url"], "body": json.loads(body), "phase": phase})
            last = time.monotonic()
        time.sleep(0.2)
    return seen


def _steps(captured: list[dict], intervals: dict[str, int]) -> list[dict]:
    """Requests as steps: polls dropped, the request that started a job marked background.

    ``phase`` numbers the user actions (a page load, a search, a click): a browser sends one
    phase's requests as a burst, and a user pauses between phases.
    """
    steps: list[dict] = []
    for item in captured:
        polling = "cacheKey=" in item["url"]
        if polling:
            for step in reversed(steps):
                if step["body"]["output"] == item["body"]["output"]:
                    step["background"] = True
                    step["interval_ms"] = intervals.get(step["body"]["output"], 1000)
                    break
            continue
        steps.append({"name": _name(item["body"]), "phase": item["phase"], "body": item["body"],
                      "background": False})
    return steps


def _name(body: dict) -> str:
    outputs = body.get("outputs")
    outputs = outputs if isinstance(outputs, list) else [outputs]
    first = outputs[0] if outputs else {}
    while isinstance(first, list):  # a pattern-matching (ALL) output
        first = first[0] if first else {}
    ident = first.get("id")
    ident = ident if isinstance(ident, str) else json.dumps(ident, sort_keys=True)
    more = f" +{len(outputs) - 1}" if len(outputs) > 1 else ""
    return f"{ident}.{first.get('property')}{more}"


def templatise(value: Any, selection: list[str], key: str | None = None) -> Any:
    """Replace the captured selection by the placeholders the load script fills in."""
    if isinstance(value, list):
        if value == selection:
            return "$SEL"
        return [templatise(v, selection) for v in value]
    if isinstance(value, dict):
        return {k: templatise(v, selection, k) for k, v in value.items()}
    if isinstance(value, str):
        if key == "base" and value == selection[0]:
            return "$BASE"
        if key == "model" and value in selection:  # a per-model component id (pattern matching)
            return f"$M{selection.index(value)}"
        plain = encode_ids(selection)
        value = value.replace(quote(plain, safe=""), "{sel_q}").replace(plain, "{sel}")
        return re.sub(r"([?&]base=)" + re.escape(quote(selection[0], safe="")) + r"(?=&|$)",
                      r"\1{base_q}", value)
    return value


def _end_id(client: httpx.Client, url: str) -> str | None:
    return end_id(client.get(url + "/").text)


def _validate(url: str, pages: dict[str, dict]) -> None:
    """Replay each step with the captured selection: record status and whether it echoes it."""
    with httpx.Client(timeout=120) as client:
        token = _end_id(client, url)
        for page in pages.values():
            for step in page["steps"]:
                body = fill(step["body"], SELECTION)
                r = client.post(url + UPDATE, params={"endId": token}, json=body)
                text = r.text
                if step["background"] and r.status_code == 200:
                    handles = r.json()
                    params = {"endId": token, "cacheKey": handles["cacheKey"], "job": handles["job"]}
                    deadline = time.monotonic() + 120
                    while time.monotonic() < deadline:
                        time.sleep(step.get("interval_ms", 1000) / 1000)
                        r = client.post(url + UPDATE, params=params, json=poll_body(body))
                        if r.status_code != 200 or "response" in r.json():
                            break
                    text = r.text
                step["status"] = r.status_code
                step["echo"] = frozenset(SELECTION) in selections_in(text)


def capture(url: str, wanted: tuple[str, ...] = ("overview", "behaviors")) -> dict:
    """Drive the browser through the ``wanted`` pages; return the payload document."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    query = urlencode({"sel": encode_ids(SELECTION)})
    detail = urlencode({"models": encode_ids(SELECTION), "base": SELECTION[0]})
    drv = _driver()
    pages: dict[str, dict] = {}
    try:
        if "overview" in wanted:
            drv.get(url + "/?" + query)
            _wait(drv, "document.querySelector('#overview-details')?.innerText.includes('3 Models Selected')")
            captured = _requests(drv, 0)
            search = drv.find_element(By.ID, "overview-search")
            search.send_keys("prune", Keys.ENTER)
            captured += _requests(drv, 1)
            for phase, label in enumerate(("Filter", "Pareto & budgets", "Compare"), 2):
                tab = f"//*[@id='overview-tab']//label[normalize-space()='{label}']"
                drv.find_element(By.XPATH, tab).click()
                captured += _requests(drv, phase)
            pages["overview"] = {"path": "/", "search": "?" + query, "steps": captured}

        if "behaviors" in wanted:
            drv.get(url + "/behaviors?" + detail)
            _wait(drv, "document.querySelector('#behaviors-load')")
            captured = _requests(drv, 0)
            drv.find_element(By.ID, "behaviors-load").click()  # the job, then the grid's first rows
            _wait(drv, "document.querySelectorAll('.bh-grid .ag-center-cols-container .ag-row').length",
                  timeout=180)
            captured += _requests(drv, 1, quiet=3)
            pages["behaviors"] = {"path": "/behaviors", "search": "?" + detail, "steps": captured}
        if "layers" in wanted:
            drv.get(url + "/layers?" + detail)
            _wait(drv, "document.querySelector('#layers-load')")
            captured = _requests(drv, 0)
            drv.find_element(By.ID, "layers-load").click()  # polls keep the log busy until it ends
            captured += _requests(drv, 1, quiet=3, timeout=300)
            pages["layers"] = {"path": "/layers", "search": "?" + detail, "steps": captured}
    finally:
        drv.quit()
    with httpx.Client(timeout=30) as client:
        models = [n["data"]["id"] for n in _map_nodes(client, url)]
        intervals = {d["output"]: (d.get("background") or {}).get("interval", 1000)
                     for d in client.get(url + "/_dash-dependencies").json() if d.get("background")}
    for page in pages.values():
        page["steps"] = _steps(page["steps"], intervals)
    _validate(url, pages)
    for page in pages.values():
        page["search"] = templatise(page["search"], SELECTION)
        for step in page["steps"]:
            step["body"] = templatise(step["body"], SELECTION)
    return {
        "about": "Callback payloads recorded from headless Chromium on the embedded demo by "
                 "benchmarks/capture_payloads.py; replayed by benchmarks/load.py. Placeholders: "
                 "$SEL, $BASE, {sel}, {sel_q} (see capture_payloads.py).",
        "captured_selection": SELECTION,
        "models": models,
        "pages": pages,
    }


def _map_nodes(client: httpx.Client, url: str) -> list[dict]:
    """The model nodes of the overview map (to draw each simulated user's selection from)."""
    token = _end_id(client, url)
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    layout = client.post(url + UPDATE, params={"endId": token}, json=body).json()
    nodes: list[dict] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Cytoscape":  # model nodes: no edge source, no column header
                nodes.extend(e for e in node["props"].get("elements", [])
                             if "source" not in e.get("data", {}) and e.get("classes") != "colhead")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(layout)
    return nodes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.capture_payloads",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a running demo, e.g. http://127.0.0.1:8050")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--pages", default="overview,behaviors",
                        help="comma-separated: overview, behaviors, layers")
    args = parser.parse_args(argv)
    doc = capture(args.url.rstrip("/"), tuple(args.pages.split(",")))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    counts = ", ".join(f"{name}: {len(p['steps'])} steps" for name, p in doc["pages"].items())
    print(f"wrote {args.out} ({counts}; {len(doc['models'])} models)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
