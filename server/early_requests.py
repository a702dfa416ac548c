"""The page's layout and callback graph are requested as the page starts, not after its scripts.

Why: Dash's renderer asks for ``_dash-layout`` and ``_dash-dependencies`` from a React effect,
after every bundle has been fetched and evaluated (plotly.js, Cytoscape, React…). On the
Overview that put a whole server round trip, layout included (~80–150 ms here), between the
last script and the first frame, with the main thread idle. A small inline script at the top
of ``<head>`` starts both requests at once and hands each response to the renderer's own
fetch of the same URL, the first time it asks; the server rendered it for the same page (the
request comes from the page, so ``server/first_view.py`` sees the same Referer). Any other
request, a second fetch of these URLs (Dash's hot reload) or an early answer that is not a
200 (an expired login, a network error) goes to the network as before.
"""

from __future__ import annotations

import json

import dash

# why a script: a <link rel=preload> is not reused by a fetch whose headers differ (Chromium
# compares Accept, Content-Type and X-CSRFToken), and Dash's fetch sets all three
_SCRIPT = """<script>(function () {
  var early = {};
  %(urls)s.forEach(function (url) {
    early[url] = fetch(url, {credentials: "same-origin",
                             headers: {Accept: "application/json", "Content-Type": "application/json"}});
  });
  var network = window.fetch;
  window.fetch = function (input, init) {
    var pending = typeof input === "string" ? early[input] : undefined;
    if (pending === undefined || (init && init.method && init.method !== "GET")) {
      return network.apply(this, arguments);
    }
    delete early[input];
    var again = function () { return network(input, init); };
    return pending.then(function (r) { return r.status === 200 ? r : again(); }, again);
  };
})();</script>"""


def script(prefix: str) -> str:
    """The inline script for an app served under ``prefix`` (Dash's requests_pathname_prefix)."""
    urls = [prefix + "_dash-layout", prefix + "_dash-dependencies"]
    return _SCRIPT % {"urls": json.dumps(urls)}


def install(app: dash.Dash) -> None:
    """Put the script first in the ``<head>`` of every index page of ``app``."""
    interpolate = app.interpolate_index
    early = script(app.config.requests_pathname_prefix)

    def index(**parts: str) -> str:
        parts["metas"] = early + parts.get("metas", "")
        return interpolate(**parts)

    app.interpolate_index = index  # Dash's documented override point for the index page
