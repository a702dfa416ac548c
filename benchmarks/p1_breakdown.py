"""Where a page load's time goes: bundles, callbacks, round trips, layout size, main thread.

Why its own module: the P1 first-paint numbers say how long; this says why, from one traced
load (``p1_browser.timed(..., trace=True)``), so a change can be checked against the same
breakdown before and after. ``CC_P1_TRACE=<folder>`` also writes each traced load as a Chrome
trace (open it in DevTools' Performance panel or ui.perfetto.dev).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.p1_browser import PageLoad, Request

_RENDER = ("Layout", "UpdateLayoutTree", "Paint", "PrePaint", "Layerize", "RasterTask", "Commit")


def _short(url: str) -> str:
    path = urlsplit(url).path
    return path.rsplit("/", 1)[-1] or path


def round_trips(calls: list[Request]) -> int:
    """How many waves of requests ran one after another (overlapping requests are one wave)."""
    waves, wave_end = 0, float("-inf")
    for r in sorted(calls, key=lambda r: r.start_ms):
        end = r.end_ms if r.end_ms is not None else r.start_ms
        if r.start_ms >= wave_end:
            waves, wave_end = waves + 1, end
        else:
            wave_end = max(wave_end, end)
    return waves


def _events(load: PageLoad) -> list[dict]:
    """The trace's events from the timed load's document request on (a warm load's first visit
    is in the same trace)."""
    start = load.t0_s * 1e6
    return [e for e in load.trace if e.get("ts", start) >= start or e.get("name") == "thread_name"]


def _main_thread(load: PageLoad, origin: str) -> tuple[int, int] | None:
    """(pid, tid) of the renderer's main thread that ran the page's scripts."""
    names = {(e["pid"], e["tid"]): e["args"].get("name")
             for e in load.trace if e.get("name") == "thread_name"}
    for e in _events(load):
        url = e.get("args", {}).get("data", {}).get("url", "")
        if e.get("name") == "EvaluateScript" and url.startswith(origin):
            key = (e["pid"], e["tid"])
            if names.get(key, "CrRendererMain") == "CrRendererMain":
                return key
    return None


def script_times(load: PageLoad, origin: str) -> dict[str, dict[str, float]]:
    """Per script URL: main-thread compile and evaluate ms (from the trace)."""
    main = _main_thread(load, origin)
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"compile": 0.0, "evaluate": 0.0})
    for e in _events(load):
        if (e.get("pid"), e.get("tid")) != main or e.get("ph") != "X":
            continue
        url = e.get("args", {}).get("data", {}).get("url", "")
        if e.get("name") == "v8.compile" and url:
            out[url]["compile"] += e.get("dur", 0) / 1000.0
        elif e.get("name") == "EvaluateScript" and url:
            out[url]["evaluate"] += e.get("dur", 0) / 1000.0
    return out


def main_thread(load: PageLoad, origin: str, t0_s: float | None = None) -> dict[str, float]:
    """Main-thread ms up to ready: busy (top-level tasks), script evaluation, render, GC."""
    main = _main_thread(load, origin)
    if main is None:
        return {}
    ends = load.ready_ms
    start = t0_s if t0_s is not None else min(e["ts"] for e in load.trace if "ts" in e) / 1e6
    out = {"busy": 0.0, "evaluate bundles": 0.0, "render (style, layout, paint)": 0.0, "GC": 0.0}
    for e in load.trace:
        if (e.get("pid"), e.get("tid")) != main or e.get("ph") != "X":
            continue
        at = e["ts"] / 1000.0 - start * 1000.0
        if at < 0 or at > ends:
            continue
        dur, name = e.get("dur", 0) / 1000.0, e.get("name", "")
        if name == "RunTask":
            out["busy"] += dur
        elif name == "EvaluateScript":
            out["evaluate bundles"] += dur
        elif name in _RENDER:
            out["render (style, layout, paint)"] += dur
        elif name in ("MinorGC", "MajorGC"):
            out["GC"] += dur
    return out


def breakdown(load: PageLoad, origin: str) -> str:
    """The breakdown as text: one table of bundles, one of callbacks, then totals."""
    times = script_times(load, origin)
    lines = [f"ready {load.ready_ms:.0f} ms, drawn {load.drawn_ms:.0f} ms, {len(load.requests)} requests, "
             f"{sum(r.wire_bytes for r in load.requests) / 1024:.0f} KiB over the wire"]
    lines.append(f"  {'script':<44} {'wire KiB':>9} {'body KiB':>9} {'compile':>8} {'eval ms':>8} "
                 f"{'cache':>6}")
    for r in load.requests:
        if r.kind != "Script":
            continue
        t = times.get(r.url, {"compile": 0.0, "evaluate": 0.0})
        lines.append(f"  {_short(r.url)[:44]:<44} {r.wire_bytes / 1024:>9.1f} {r.body_bytes / 1024:>9.1f} "
                     f"{t['compile']:>8.1f} {t['evaluate']:>8.1f} {'yes' if r.cached else '':>6}")
    calls = load.callbacks
    lines.append(f"  callbacks on load: {len(calls)} in {round_trips(calls)} round trips "
                 f"(all requests: {round_trips(load.requests)} waves)")
    for r in calls:
        lines.append(f"    {r.start_ms:>7.0f} ms  server {r.server_ms or 0:>6.1f} ms  "
                     f"{r.body_bytes / 1024:>8.1f} KiB  {r.outputs[:150]}")
    layout = [r for r in load.requests if r.url.endswith("/_dash-layout")]
    content = [r for r in calls if "_pages_content" in r.outputs]
    size = sum(r.body_bytes for r in layout + content)
    wire = sum(r.wire_bytes for r in layout + content)
    lines.append(f"  layout (_dash-layout + page content): {size / 1024:.1f} KiB, "
                 f"{wire / 1024:.1f} KiB over the wire; "
                 f"server {sum((r.server_ms or 0) for r in layout + content):.0f} ms")
    thread = main_thread(load, origin, t0_s=load.t0_s or None)
    if thread:
        lines.append("  main thread until ready: " + ", ".join(f"{k} {v:.0f} ms" for k, v in thread.items()))
    return "\n".join(lines)


def save_trace(load: PageLoad, name: str) -> Path | None:
    """Write the load's trace under ``CC_P1_TRACE`` (if set) as a Chrome trace file."""
    folder = os.environ.get("CC_P1_TRACE")
    if not folder or not load.trace:
        return None
    path = Path(folder) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"traceEvents": load.trace}))
    return path
