"""plotly.js registering only the trace types the app draws, derived from the installed bundle.

Why: evaluating the ``plotly`` package's plotly.min.js (4.8 MB) was the largest piece of
main-thread work in every first paint here, and most of it is the top-level code of the ~45
trace types it registers (3-D, maps, polar, finance, sankey…), which the app never draws.
The bundle is an esbuild bundle whose modules are lazy (``var m = W((exports, module) => …)``
runs a module's body only when first called), and its last module registers every trace type
in one call: ``Registry.register([bar(), box(), heatmap(), …])``. Calling only the factories
of the kept types leaves the others' code parsed but never run: the same effect as Plotly's
official partial bundles, from the installed package, with no build step. Load time of the
bundle alone, headless Chromium on this machine: 2.1 s whole, 0.9 s trimmed (median of 5).

The trace types are found by name (each trace's index module exports
``moduleType:"trace",name:"bar"``), never by position. When the bundle does not have that
shape (another plotly release), :func:`trimmed` gives None and the whole bundle is served.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from plotly.offline import get_plotlyjs

log = logging.getLogger(__name__)

# what the app's figures use: "scatter" is part of plotly's core and always registered
TRACES = ("bar", "heatmap", "scatter", "scattergl")
_REGISTER = re.compile(r"\.register\(\[((?:[\w$]+\(\),?)+)\]\)")
_TRACE = re.compile(r'moduleType:"trace",name:"(\w+)"')
_CALL = re.compile(r"([\w$]+)\(\)")


def _modules(text: str, wrapper: str) -> dict[str, str]:
    """Each lazy module's name -> its source (up to the next module's definition)."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(
        r"var ([\w$]+)=" + re.escape(wrapper) + r"\(\(", text)]
    ends = [s for s, _ in starts[1:]] + [len(text)]
    return {name: text[start:end] for (start, name), end in zip(starts, ends, strict=True)}


def _trace_name(name: str, modules: dict[str, str], depth: int = 0) -> str | None:
    """The trace type a register factory provides: its module's, or that of a module it calls."""
    body = modules.get(name)
    if body is None:
        return None
    found = _TRACE.search(body)
    if found:
        return found.group(1)
    if depth < 2:
        for call in _CALL.findall(body[body.index("=>") + 2:]):
            if call in modules and call != name:
                inner = _trace_name(call, modules, depth + 1)
                if inner:
                    return inner
    return None


def registered(text: str) -> dict[str, str | None] | None:
    """The factories of the bundle's register call -> the trace type each provides (None: not
    a trace, or not found), or None when the bundle has no such call."""
    calls = list(_REGISTER.finditer(text))
    if not calls:
        return None
    factories = _CALL.findall(calls[-1].group(1))
    wrapper = re.search(r"var " + re.escape(factories[0]) + r"=([\w$]+)\(\(", text)
    if wrapper is None:
        return None
    modules = _modules(text, wrapper.group(1))
    return {f: _trace_name(f, modules) for f in factories}


def trim(text: str, keep: tuple[str, ...] = TRACES) -> str | None:
    """``text`` registering only the trace types in ``keep``, or None where its shape is not the
    one this expects (each kept non-core type found exactly once)."""
    names = registered(text)
    if names is None:
        return None
    kept = [f for f, trace in names.items() if trace in keep]
    core = {"scatter"}  # registered by plotly's core, not by this call
    if sorted(names[f] for f in kept) != sorted(set(keep) - core):
        return None
    call = list(_REGISTER.finditer(text))[-1]
    return text[:call.start()] + ".register([" + ",".join(f"{f}()" for f in kept) + "])" + text[call.end():]


@lru_cache(maxsize=1)
def plotly_js() -> tuple[str, bool]:
    """(plotly.js for the app, whether it is trimmed): computed once per process."""
    whole = get_plotlyjs()
    trimmed = trim(whole)
    if trimmed is None:
        log.warning("plotly.js: the installed bundle's trace registry has an unexpected shape; "
                    "serving it whole (slower first paint)")
        return whole, False
    return trimmed, True
