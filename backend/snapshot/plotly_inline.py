"""plotly.js inside the snapshot, once, from the installed ``plotly`` package (no CDN).

Why gzip + base64: plotly.min.js is about 4.8 MB, which alone would make a snapshot of a
three-model comparison miss its 5 MB budget; gzipped and base64-encoded it is about 2 MB, and
the browser's own ``DecompressionStream`` inflates it on open (Chromium 80+, Firefox 113+,
Safari 16.4+), from file:// and with the network off. A browser without it shows one line
saying the charts need a newer browser; the map and tables need no script.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Sequence
from functools import lru_cache

from plotly.utils import PlotlyJSONEncoder

from backend.present.plotly_js import plotly_js
from backend.snapshot.fragments import Html

# Draws every figure once plotly.js is evaluated; figures are JSON in <script type=application/json>.
_BOOT = """
(async function () {
  var note = document.getElementById("snap-js-note");
  try {
    if (typeof DecompressionStream === "undefined")
      throw new Error("this browser cannot inflate gzip (DecompressionStream)");
    var b64 = document.getElementById("snap-plotly").textContent.trim();
    var raw = atob(b64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    var inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    var code = await new Response(inflated).text();
    var s = document.createElement("script");
    s.textContent = code;
    document.head.appendChild(s);
    var figures = JSON.parse(document.getElementById("snap-figures").textContent);
    var slots = document.querySelectorAll(".snap-fig");
    for (var j = 0; j < slots.length; j++) {
      var f = figures[+slots[j].getAttribute("data-fig")];
      await Plotly.newPlot(slots[j], f.data, f.layout, {responsive: true, displaylogo: false});
    }
    document.body.setAttribute("data-charts", "drawn");
    note.remove();
  } catch (e) {
    note.textContent = "The charts could not be drawn: " + e.message +
      ". The map and tables do not need them.";
    document.body.setAttribute("data-charts", "failed");
  }
})();
"""


@lru_cache(maxsize=1)
def plotly_gzip_base64() -> str:
    """The app's plotly.js (the installed package's, registering the trace types the app draws),
    gzipped and base64-encoded (computed once)."""
    return base64.b64encode(gzip.compress(plotly_js()[0].encode("utf-8"), 9, mtime=0)).decode("ascii")


def script_json(value: object) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' that could end or open a tag."""
    out = json.dumps(value, cls=PlotlyJSONEncoder, separators=(",", ":"))
    return out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figures_block(figures: Sequence[dict]) -> Html:
    """plotly.js (once), the figures and the script that draws them; empty when there are none."""
    if not figures:
        return Html("")
    return Html(
        '<p id="snap-js-note" class="cc-hint">Drawing the charts…</p>'
        f'<script id="snap-figures" type="application/json">{script_json(list(figures))}</script>'
        f'<script id="snap-plotly" type="application/gzip-base64">{plotly_gzip_base64()}</script>'
        f"<script>{_BOOT}</script>"
    )
