"""plotly.js starts loading with the Overview's index page, not after its map is drawn.

Why: evaluating plotly.js (4.7 MB, from the ``plotly`` package) is the largest single piece of
main-thread work in a first paint here (0.6–0.9 s). dcc.Graph loads it only when the first
graph renders, which on the Overview is after the layout request came back and the map was
drawn. The Overview always draws its scatterplot, so its index page runs the same bundle as a
``defer`` script: the browser fetches and evaluates it while the layout request is on the
server, and dcc.Graph uses ``window.Plotly`` when it is already there. The URL is Dash's own
fingerprinted one, so the browser keeps it and dcc.Graph's later request hits the same cache.
"""

from __future__ import annotations

import dash
from flask import has_request_context, request

from components.shared.nav import page_of

EAGER = {"overview"}  # pages that draw a chart whenever they open
SUITE = "_dash-component-suites/plotly/package_data/plotly.min.js"


def install(app: dash.Dash) -> None:
    """Make the index page of every page in ``EAGER`` start loading plotly.js at once."""
    url = app.config.requests_pathname_prefix + SUITE
    interpolate = app.interpolate_index

    def index(**parts: str) -> str:
        if has_request_context() and page_of(request.path) in EAGER:
            parts["scripts"] = parts.get("scripts", "") + f'<script defer src="{url}"></script>'
        return interpolate(**parts)

    app.interpolate_index = index  # Dash's documented override point for the index page
