"""plotly.js with only the trace types the app draws, derived from the installed bundle.

Why: evaluating the ``plotly`` package's plotly.min.js (4.8 MB) was the largest piece of
main-thread work in every first paint here, and most of it is the code of the ~45 trace
types it registers (3-D, maps, polar, finance, sankey…), which the app never draws.

1. ``trim``: the bundle is an esbuild bundle whose modules are lazy (``var m = W((exports,
   module) => …)`` runs a module's body only when first called), and its last module
   registers every trace type in one call: ``Registry.register([bar(), box(), heatmap(), …])``.
   Calling only the kept types' factories leaves the others' code never run. The trace types
   are found by name (each trace's index module exports ``moduleType:"trace",name:"bar"``),
   never by position.
2. ``pruned`` (``js_prune``): the modules nothing run any longer reaches are left out of the
   text, so the browser does not even parse them: 4.8 → 2.4 MB.
3. ``split``: scattergl (regl, its shaders: 1.1 MB) is drawn only past 1,000 models. Pages get
   the bundle without it (1.3 MB) and a loader: the first ``newPlot``/``react`` of a scattergl
   trace fetches the part that declares what only scattergl reaches, runs it in the bundle's
   own scope and registers it. Evaluating the bundle alone, headless Chromium here (median of
   6, download included): 573 ms whole-but-trimmed, 385 ms pruned, 233 ms without scattergl.

The same effect as Plotly's official partial bundles, from the installed package, with no
build step. Where the bundle does not have the shape these expect (another plotly release),
each step gives None and the previous step's bundle is served.
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache

from plotly.offline import get_plotlyjs

from backend.present.js_prune import prune, reach

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


# where esbuild's bundle body starts: ``var Plotly=(()=>{ …modules…; return main();})()``
_BODY = "var Plotly=(()=>{"
# drawn only past WEBGL_THRESHOLD models (components/overview/scatter.py): loaded when first drawn
LAZY = ("scattergl",)
# a function in the bundle's own scope that runs the lazy part's declarations there (strict mode:
# they stay in the eval's scope, and see every declaration of the bundle's body)
_EVAL_HOOK = "window.__ccPlotlyEval=function(code){return eval(code)};"
# after the bundle: Plotly.newPlot/react/addTraces fetch and run the lazy part first when a trace
# needs it (the part's URL: the bundle's own, plotly-gl instead of plotly)
_LOADER = """
;(function () {
  "use strict";
  var P = window.Plotly, me = document.currentScript;
  var url = me && me.src ? me.src.replace(/plotly((?:\\.v\\w+)?\\.min\\.js)(\\?.*)?$/, "plotly-gl$1") : null;
  if (!P || !window.__ccPlotlyEval || !url) return;
  var loading = null;
  function load() {
    if (!loading) {
      loading = fetch(url, {credentials: "same-origin"}).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status + " for " + url);
        return r.text();
      }).then(function (code) { window.__ccPlotlyEval(code); });
    }
    return loading;
  }
  function traces(x) {
    if (x && !Array.isArray(x) && typeof x === "object" && "data" in x) x = x.data;
    return Array.isArray(x) ? x : (x ? [x] : []);
  }
  ["newPlot", "react", "addTraces"].forEach(function (name) {
    var original = P[name];
    P[name] = function (gd, data) {
      var self = this, args = arguments;
      var lazy = !P.__ccLazyLoaded && traces(data).some(function (t) {
        return t && %(lazy)s.indexOf(t.type) >= 0;
      });
      if (!lazy) return original.apply(self, args);
      return load().catch(function (e) {
        console.error("plotly.js: " + %(lazy)s.join(", ") + " could not be loaded: " + e.message);
      }).then(function () { return original.apply(self, args); });
    };
  });
})();
"""


def pruned(text: str) -> str | None:
    """``text`` without the modules nothing it runs reaches (``js_prune``), or None where the
    bundle is not the shape that expects."""
    start = text.find(_BODY)
    if start < 0 or text.find(_BODY, start + 1) >= 0:
        return None
    try:
        return prune(text, start + len(_BODY))
    except ValueError as exc:
        log.warning("plotly.js: unused modules kept (%s)", exc)
        return None


def split(whole: str) -> tuple[str, str, str] | None:
    """(the bundle with every trace type, the bundle without the ``LAZY`` ones, the part that
    adds them), each pruned, or None where the bundle is not the shape this expects.

    The part holds the declarations only those trace types reach, run in the bundle's scope
    (``_EVAL_HOOK``), then registers them through Plotly's public ``register``. One scan for
    all three: the bundle without them differs only in its register call, so it is the same
    body walked again with that call's declarator replaced.
    """
    eager = tuple(t for t in TRACES if t not in LAZY)
    core, full, names = trim(whole, eager), trim(whole, TRACES), registered(whole)
    start = whole.find(_BODY)
    if core is None or full is None or names is None or start < 0:
        return None
    body = start + len(_BODY)
    try:
        large = reach(full, body)
    except ValueError as exc:
        log.warning("plotly.js: unused modules kept (%s)", exc)
        return None
    calls = large.keys(".register([")
    full_call, core_call = (list(_REGISTER.finditer(t))[-1].group(0) for t in (full, core))
    if len(calls) != 1 or large.source(calls[0]).count(full_call) != 1:
        return None
    small = large.with_text({calls[0]: large.source(calls[0]).replace(full_call, core_call)})
    if not small.kept <= large.kept:
        return None
    theirs = large.declarations()
    factories = ",".join(f"{f}()" for f, trace in names.items() if trace in LAZY)
    part = "".join(theirs[k] for k in sorted(theirs) if k not in small.kept)
    part += f"window.Plotly.register([{factories}]);window.Plotly.__ccLazyLoaded=true;"
    main = small.pruned()
    main = main[:body] + _EVAL_HOOK + main[body:] + _LOADER % {"lazy": json.dumps(list(LAZY))}
    return large.pruned(), main, part


@lru_cache(maxsize=1)
def _split() -> tuple[str, str, str] | None:
    return split(get_plotlyjs())


@lru_cache(maxsize=1)
def plotly_js() -> tuple[str, bool]:
    """(plotly.js for the app with every trace type it draws, whether it is trimmed): for
    snapshots, which draw at once; from the same derivation as ``served_js``."""
    whole = get_plotlyjs()
    trimmed = trim(whole)
    if trimmed is None:
        log.warning("plotly.js: the installed bundle's trace registry has an unexpected shape; "
                    "serving it whole (slower first paint)")
        return whole, False
    parts = _split()
    return (parts[0] if parts else pruned(trimmed) or trimmed), True


@lru_cache(maxsize=1)
def served_js() -> tuple[str, str | None]:
    """(the bundle pages load, the part it loads when a ``LAZY`` trace is first drawn, or None
    where the bundle is served with every type): computed once per process (~0.8 s)."""
    parts = _split()
    if parts is None:
        return plotly_js()[0], None
    return parts[1], parts[2]
