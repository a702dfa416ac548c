"""A small stand-in for the Dash renderer, for tests that talk to a real app over HTTP.

It does what the browser's renderer does, minus drawing: asks the pages router for a URL's
layout, fires the callbacks a page load fires (with values read from that layout), calls a
callback on a click, and polls a background callback until its job ends. It works on a Flask
test client (in-process) or on a URL (a gunicorn server).
"""

from __future__ import annotations

import html as html_lib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_CONFIG = re.compile(r'<script id="_dash-config" type="application/json">(.*?)</script>', re.S)


def _stringify(component_id: Any) -> str:
    """Dash's id string: JSON with sorted keys and no spaces for pattern-matching ids."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return str(component_id)


def find_component(component: Any, component_id: Any) -> Any:
    """The Dash component object with this id in a component tree (a layout before JSON), or None."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        found = find_component(child, component_id)
        if found is not None:
            return found
    return None


def walk(node: Any) -> Iterator[dict]:
    """Every component (``{"type", "namespace", "props"}``) in a layout tree."""
    if isinstance(node, dict):
        if "props" in node and "type" in node:
            yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def texts(node: Any) -> Iterator[str]:
    """Strings a browser would show as text (children), in document order."""
    for comp in walk(node):
        children = comp["props"].get("children")
        for child in children if isinstance(children, list) else [children]:
            if isinstance(child, str | int | float) and not isinstance(child, bool):
                yield str(child)


@dataclass
class Response:
    """One answer of ``/_dash-update-component``."""

    status: int
    body: str
    data: Any = None
    progress: list = field(default_factory=list)

    @property
    def outputs(self) -> dict:
        """``{component id: {prop: value}}`` of a 200 answer."""
        return (self.data or {}).get("response", {}) if isinstance(self.data, dict) else {}


@dataclass
class Job:
    """A background callback's job: the request to repeat and its signed handles."""

    body: dict
    params: dict


@dataclass
class Page:
    """A page's layout as the router returned it, plus the app shell's components."""

    status: int
    body: str
    layout: Any
    shell: Any
    url: str = "/"

    @property
    def text(self) -> str:
        return "\n".join(texts(self.layout))

    def components(self) -> Iterator[dict]:
        yield from walk(self.layout)
        yield from walk(self.shell)

    def by_class(self, css_class: str) -> list[str]:
        """Texts of components carrying a CSS class (e.g. the notices, ``cc-warn``)."""
        out = []
        for comp in walk(self.layout):
            if css_class in str(comp["props"].get("className", "")).split():
                out.append(" ".join(texts(comp)) if not isinstance(comp["props"].get("children"), str)
                           else comp["props"]["children"])
        return out

    def prop(self, component_id: Any, prop: str, default: Any = None) -> Any:
        key = _stringify(component_id)
        for comp in self.components():
            if "id" in comp["props"] and _stringify(comp["props"]["id"]) == key:
                if comp["type"] == "Location" and prop in ("pathname", "search"):  # set by the browser
                    path, _, query = self.url.partition("?")
                    return path if prop == "pathname" else (f"?{query}" if query else "")
                return comp["props"].get(prop, default)
        return default

    def matching(self, pattern: dict) -> list[dict]:
        """Ids of components matching a pattern id (``["ALL"]`` wildcards), in layout order."""
        out = []
        for comp in self.components():
            cid = comp["props"].get("id")
            if isinstance(cid, dict) and set(cid) == set(pattern) and all(
                    isinstance(v, list) or cid[k] == v for k, v in pattern.items()):
                out.append(cid)
        return out


class Renderer:
    """Talks to one Dash app; ``transport(method, path, json, params) -> (status, text)``."""

    def __init__(self, transport, base_url: str = "") -> None:
        self._send = transport
        self.base_url = base_url
        status, index = self._send("GET", "/", None, None)
        assert status == 200, f"GET / answered {status}"
        match = _CONFIG.search(index)
        self.config = json.loads(html_lib.unescape(match.group(1))) if match else {}
        self.dependencies = json.loads(self._send("GET", "/_dash-dependencies", None, None)[1])
        self.shell = json.loads(self._send("GET", "/_dash-layout", None, None)[1])

    @classmethod
    def for_flask(cls, server) -> Renderer:
        client = server.test_client()

        def send(method: str, path: str, body: Any, params: dict | None) -> tuple[int, str]:
            r = client.open(path, method=method, json=body, query_string=params or {})
            return r.status_code, r.get_data(as_text=True)

        return cls(send)

    @classmethod
    def for_url(cls, base_url: str, timeout: float = 60.0) -> Renderer:
        import requests

        session = requests.Session()
        session.headers["Connection"] = "close"  # no kept-alive socket to a worker a test killed

        def send(method: str, path: str, body: Any, params: dict | None) -> tuple[int, str]:
            r = session.request(method, base_url + path, json=body, params=params, timeout=timeout)
            return r.status_code, r.text

        return cls(send, base_url)

    # --- pages ---------------------------------------------------------------------------------
    def open(self, url: str) -> Page:
        """The layout the pages router gives for ``path?query`` (what a page load shows)."""
        path, _, query = url.partition("?")
        body = {"output": ".._pages_content.children..._pages_store.data..",
                "outputs": [{"id": "_pages_content", "property": "children"},
                            {"id": "_pages_store", "property": "data"}],
                "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                           {"id": "_pages_location", "property": "search",
                            "value": f"?{query}" if query else ""}],
                "changedPropIds": ["_pages_location.pathname"], "state": []}
        status, text = self._post(body)
        layout = None
        if status == 200:
            layout = json.loads(text)["response"]["_pages_content"]["children"]
        return Page(status, text, layout, self.shell, url)

    # --- callbacks -------------------------------------------------------------------------------
    def dependency(self, output: str) -> dict:
        """The server-side callback whose output string contains ``output`` (e.g. 'x.children')."""
        found = [d for d in self.dependencies if output in d["output"] and not d.get("clientside_function")]
        assert len(found) == 1, f"{len(found)} callbacks output {output!r}"
        return found[0]

    def initial_callbacks(self, page: Page) -> list[dict]:
        """Server callbacks a page load fires: not prevent_initial_call, an input on the page."""
        out = []
        for dep in self.dependencies:
            if dep.get("clientside_function") or dep.get("prevent_initial_call"):
                continue
            if any(self._present(page, spec["id"]) for spec in dep["inputs"]):
                out.append(dep)
        return out

    def _present(self, page: Page, spec_id: str) -> bool:
        parsed = _parse_id(spec_id)
        if isinstance(parsed, dict):
            return bool(page.matching(parsed))
        return any(_stringify(c["props"].get("id")) == parsed for c in page.components())

    def call(self, page: Page, dep: dict, trigger: tuple[Any, str] | None = None,
             values: dict[tuple[Any, str], Any] | None = None, timeout: float = 120.0) -> Response:
        """Fire one callback with inputs and state read from ``page`` (``values`` override them).

        ``trigger``: the (id, prop) that changed. A background callback is polled to its end.
        """
        response = self.start(self.payload(page, dep, trigger, values))
        return self.poll(response, timeout) if isinstance(response, Job) else response

    def payload(self, page: Page, dep: dict, trigger: tuple[Any, str] | None = None,
                values: dict[tuple[Any, str], Any] | None = None) -> dict:
        """The request body the renderer would send for ``dep`` on ``page``."""
        values = {(_stringify(k[0]), k[1]): v for k, v in (values or {}).items()}

        def fill(spec: dict) -> Any:
            parsed = _parse_id(spec["id"])
            if isinstance(parsed, dict):
                items = [{"id": cid, "property": spec["property"],
                          "value": values.get((_stringify(cid), spec["property"]),
                                              page.prop(cid, spec["property"]))}
                         for cid in page.matching(parsed)]
                return items[0] if _is_match(parsed) and items else items
            return {"id": parsed, "property": spec["property"],
                    "value": values.get((parsed, spec["property"]), page.prop(parsed, spec["property"]))}

        outputs = []
        for part in _outputs(dep["output"]):
            cid, prop = part.rsplit(".", 1)
            parsed = _parse_id(cid)
            if isinstance(parsed, dict):
                found = [{"id": m, "property": prop} for m in page.matching(parsed)]
                outputs.append(found[0] if _is_match(parsed) and found else found)
            else:
                outputs.append({"id": parsed, "property": prop})
        multi = dep["output"].startswith("..")
        first = dep["inputs"][0]
        changed = trigger or (_parse_id(first["id"]), first["property"])
        return {"output": dep["output"], "outputs": outputs if multi else outputs[0],
                "inputs": [fill(s) for s in dep["inputs"]], "state": [fill(s) for s in dep.get("state", [])],
                "changedPropIds": [f"{_stringify(changed[0])}.{changed[1]}"]}

    def start(self, body: dict) -> Response | Job:
        """POST a callback; a background callback answers with a job to poll."""
        params = {"endId": self.config["end_id"]} if self.config.get("end_id") else {}
        status, text = self._post(body, params)
        response = Response(status, text, _json(text))
        if status != 200 or not isinstance(response.data, dict) or "cacheKey" not in response.data:
            return response
        return Job(body, {**params, "cacheKey": response.data["cacheKey"], "job": response.data["job"]})

    def poll(self, job: Job, timeout: float = 120.0) -> Response:
        """Ask for a background job's result the way the renderer does (inputs nulled)."""
        body, params = job.body, job.params
        blank = json.loads(json.dumps(body))
        for spec in blank["inputs"] + blank["state"]:
            for item in spec if isinstance(spec, list) else [spec]:
                item["value"] = None
        progress = []
        deadline = time.monotonic() + timeout
        while True:
            status, text = self._post(blank, params)
            data = _json(text)
            if status != 200 or not isinstance(data, dict) or "response" in data:
                return Response(status, text, data, progress)
            if data.get("progress"):
                progress.append(data["progress"])
            if time.monotonic() > deadline:
                raise AssertionError(f"background job still running after {timeout} s")
            time.sleep(0.1)

    def _post(self, body: dict, params: dict | None = None) -> tuple[int, str]:
        return self._send("POST", "/_dash-update-component", body, params)


def _parse_id(spec_id: str) -> Any:
    if spec_id.startswith("{"):
        return json.loads(spec_id)
    return spec_id


def _is_match(pattern: dict) -> bool:
    """MATCH wildcards only: the callback sees one component, not a list (ALL gives a list)."""
    wild = [value[0] for value in pattern.values() if isinstance(value, list)]
    return bool(wild) and all(w == "MATCH" for w in wild)


def _outputs(output: str) -> list[str]:
    if output.startswith(".."):
        return [p for p in output[2:-2].split("...") if p]
    return [output]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def run_job_inline(app, body: dict) -> dict[str, Any]:
    """Run a background callback's own function in this process, as its job process runs it.

    No fork: a process that has used torch's thread pools must not fork and use torch again
    (the child can deadlock), and tests run in one such process. Returns ``{"id.prop": value}``.
    """
    entry = app.callback_map[body["output"]]
    fn = entry["callback"]
    while hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    args = [item["value"] if isinstance(item, dict) else [i["value"] for i in item]
            for item in body["inputs"] + body["state"]]
    progress = [lambda _value: None] if entry.get("background", {}).get("progress") else []
    result = fn(*progress, *args)
    parts = _outputs(body["output"])
    result = result if len(parts) > 1 else (result,)
    return {part.split("@")[0]: value for part, value in zip(parts, result, strict=True)}
