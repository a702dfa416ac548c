"""Time one page load in headless Chromium: navigation until drawn and the network quiet.

Why its own module: the P1 first-paint rows, the bare Dash baseline and the MLflow peer must
be timed by the same browser and the same method, or their ratios mean nothing.

Method: a fresh Chromium (cold HTTP cache; pass ``warm=True`` to load the page once before
the timed visit), the DevTools performance log for every request (start, end, bytes, server
time, callback outputs) and a script injected before the page's own that records when the
"drawn" predicate (map nodes, chart SVG, grid rows) first holds. A load is done when the page
is drawn, no request is in flight and none ended in the last ``quiet_ms``; its time is from
the document's request to the later of "drawn" and the last request's end (the quiet window
itself is not counted).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

QUIET_MS = 500.0
UPDATE = "/_dash-update-component"
TRACE_CATEGORIES = "devtools.timeline,v8,disabled-by-default-devtools.timeline"

_WATCH = """
(() => {
  const drawn = () => { try { return !!(%s); } catch (e) { return false; } };
  window.__ccDrawnAt = null;
  const tick = () => {
    if (window.__ccDrawnAt === null && drawn()) { window.__ccDrawnAt = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""


@dataclass
class Request:
    """One network request of a page load, times in ms from the document's request."""

    url: str
    kind: str
    start_ms: float
    end_ms: float | None = None
    wire_bytes: int = 0  # what came over the network (compressed), headers included
    body_bytes: int = 0  # the decoded body
    server_ms: float | None = None  # request sent -> first response byte
    status: int | None = None
    cached: bool = False  # served from the browser's cache, no request sent
    encoding: str = ""
    outputs: str = ""  # a Dash callback's output ids


@dataclass
class PageLoad:
    """What one timed load saw."""

    ready_ms: float
    drawn_ms: float
    requests: list[Request]
    trace: list[dict] = field(default_factory=list)
    t0_s: float = 0.0  # the document's request on DevTools' clock (trace timestamps share it)

    @property
    def callbacks(self) -> list[Request]:
        """The Dash callback requests, in the order they were sent."""
        return [r for r in self.requests if UPDATE in r.url]


def driver(trace: bool = False):
    """Headless Chromium with the performance log (and, for ``trace``, a timeline trace)."""
    from tests.support.chromium import headless_chromium

    prefs = {"enableNetwork": True, "enablePage": False}
    if trace:
        prefs["traceCategories"] = TRACE_CATEGORIES
    return headless_chromium({"performance": "ALL"}, perf_logging=prefs)


def _outputs(body: str | None) -> str:
    """A callback request's outputs and what changed to trigger it."""
    if not body:
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    return f"{data.get('output', '')} <- {','.join(data.get('changedPropIds') or []) or 'initial'}"[:240]


def _header(headers: dict, name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


class _Log:
    """The DevTools events of one load, folded into requests as they arrive."""

    def __init__(self) -> None:
        self.by_id: dict[str, Request] = {}
        self.order: list[Request] = []
        self.t0: float | None = None  # the document's request, CDP monotonic seconds
        self.offset_ms: float | None = None  # CDP monotonic ms of the page's timeOrigin
        self.trace: list[dict] = []
        self.doc_id: str | None = None
        self.doc_timing: dict | None = None

    def ms(self, ts: float) -> float:
        return (ts - (self.t0 or ts)) * 1000.0

    def feed(self, drv, entries: list[dict]) -> None:
        for entry in entries:
            msg = json.loads(entry["message"])["message"]
            method, p = msg.get("method", ""), msg.get("params", {})
            if method == "Tracing.dataCollected":
                self.trace.append(p)
            elif method == "Network.requestWillBeSent":
                if p.get("type") == "Document" and p.get("documentURL", "").startswith("http"):
                    self.by_id, self.order, self.doc_timing = {}, [], None  # the load timed is the last
                    self.t0, self.doc_id = p["timestamp"], p["requestId"]
                if self.t0 is None:
                    continue
                body = p["request"].get("postData")
                if body is None and p["request"].get("hasPostData") and UPDATE in p["request"]["url"]:
                    try:
                        body = drv.execute_cdp_cmd("Network.getRequestPostData",
                                                   {"requestId": p["requestId"]})["postData"]
                    except Exception:  # noqa: BLE001  the request may be gone already
                        body = None
                req = Request(p["request"]["url"], p.get("type", ""), self.ms(p["timestamp"]),
                              outputs=_outputs(body))
                if p.get("documentURL") == p["request"]["url"] and p.get("type") != "Document":
                    req.end_ms = req.start_ms  # a worker's script: its end is reported to the worker only
                if p["requestId"] in self.by_id:  # a redirect reuses the id
                    self.by_id[p["requestId"]].end_ms = req.start_ms
                self.by_id[p["requestId"]] = req
                self.order.append(req)
            elif method == "Network.responseReceived" and p["requestId"] in self.by_id:
                req, resp = self.by_id[p["requestId"]], p["response"]
                req.status = resp.get("status")
                req.cached = bool(resp.get("fromDiskCache") or resp.get("fromMemoryCache"))
                req.encoding = _header(resp.get("headers", {}), "content-encoding")
                timing = resp.get("timing")
                if timing and timing.get("sendEnd", -1) >= 0 and not req.cached:
                    req.server_ms = timing["receiveHeadersStart" if "receiveHeadersStart" in timing
                                           else "receiveHeadersEnd"] - timing["sendEnd"]
                if p["requestId"] == self.doc_id and timing:
                    self.doc_timing = timing
            elif method == "Network.dataReceived" and p["requestId"] in self.by_id:
                self.by_id[p["requestId"]].body_bytes += p.get("dataLength", 0)
            elif method in ("Network.loadingFinished", "Network.loadingFailed") \
                    and p["requestId"] in self.by_id:
                req = self.by_id[p["requestId"]]
                req.end_ms = self.ms(p["timestamp"])
                req.wire_bytes = int(p.get("encodedDataLength", 0))

    def offset(self, request_start: float | None) -> None:
        """Tie the page's clock to DevTools' once the document's timing is known."""
        if self.offset_ms is None and self.doc_timing and request_start is not None:
            t = self.doc_timing
            self.offset_ms = t["requestTime"] * 1000.0 + t["sendStart"] - request_start

    def page_ms(self, page_time: float) -> float:
        """A ``performance.now()`` of the page as ms from the document's request."""
        return page_time + (self.offset_ms or 0.0) - (self.t0 or 0.0) * 1000.0

    def in_flight(self) -> bool:
        return any(r.end_ms is None for r in self.order)

    def last_end_ms(self) -> float:
        return max((r.end_ms for r in self.order if r.end_ms is not None), default=0.0)


def load(drv, url: str, drawn_js: str, timeout: float = 120.0, quiet_ms: float = QUIET_MS,
         trace: bool = False) -> PageLoad:
    """Navigate ``drv`` to ``url`` and time it until drawn and the network quiet (see module).

    With ``trace`` (a driver from ``driver(trace=True)``) the log is read once, 3 s after the
    page is drawn: each read makes chromedriver end and restart its trace, which loses events.
    """
    script = drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _WATCH % drawn_js})
    if not trace:
        drv.get_log("performance")  # drop what earlier loads left (a new document resets the log too)
    log = _Log()
    try:
        drv.get(url)
        deadline = time.monotonic() + timeout
        while True:
            drawn_at, now, request_start = drv.execute_script(
                "const n = performance.getEntriesByType('navigation')[0];"
                "return [window.__ccDrawnAt, performance.now(), n ? n.requestStart : null];")
            if trace and drawn_at is not None:
                time.sleep(3.0)
                log.feed(drv, drv.get_log("performance"))
                log.offset(request_start)
                break
            if not trace:
                log.feed(drv, drv.get_log("performance"))
                log.offset(request_start)
                if drawn_at is not None and log.offset_ms is not None and not log.in_flight():
                    now_ms = now + log.offset_ms - log.t0 * 1000.0
                    if now_ms - max(log.last_end_ms(), log.page_ms(drawn_at)) >= quiet_ms:
                        break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url}: not drawn and quiet within {timeout:.0f} s "
                                   f"(drawn at {drawn_at}, in flight: "
                                   f"{[r.url for r in log.order if r.end_ms is None][:5]})")
            time.sleep(0.05)
    finally:
        drv.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})
    drawn_ms = log.page_ms(drawn_at)
    return PageLoad(max(drawn_ms, log.last_end_ms()), drawn_ms, log.order, log.trace, log.t0 or 0.0)


def timed(url: str, drawn_js: str, warm: bool = False, trace: bool = False) -> PageLoad:
    """One load in a fresh browser; with ``warm`` the page is visited once first, untimed."""
    drv = driver(trace)
    try:
        if warm:
            load(drv, url, drawn_js, trace=trace)
            drv.get("about:blank")
        return load(drv, url, drawn_js, trace=trace)
    finally:
        drv.quit()
