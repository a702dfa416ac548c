"""plotly.js as the app serves it: trimmed to the trace types it draws, and started with the
Overview's index page.

Why trimmed: see ``backend/present/plotly_js.py``; every request for the ``plotly`` package's
bundle (the Overview's own script tag and dcc.Graph's request on the other pages) gets the
bundle that registers only bar, heatmap and scatter, with its own ETag; ``plotly-gl.min.js``
beside it (same fingerprint) is the part it fetches the first time a scattergl trace is drawn.

Why started with the index page: evaluating plotly.js is the largest single piece of
main-thread work in a first paint here. dcc.Graph loads it only when the first graph renders,
which on the Overview is after the layout request came back and the map was drawn. The
Overview always draws its scatterplot, so its index page runs the same bundle as a ``defer``
script: the browser fetches and evaluates it while the layout request is on the server, and
dcc.Graph uses ``window.Plotly`` when it is already there. The URL is Dash's own, so the
browser keeps it and dcc.Graph's later request hits the same cache.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import dash
from flask import Response, has_request_context, request

from backend.present.plotly_js import served_js
from components.shared.nav import page_of
from server.static import YEAR

EAGER = {"overview"}  # pages that draw a chart whenever they open
SUITE = "_dash-component-suites/plotly/package_data/plotly.min.js"
# Dash's URL for the bundle, with or without its fingerprint (plotly.v7_1_0m1700000000.min.js),
# and the URL the bundle derives for its lazily loaded part (plotly-gl.v7_1_0m1700000000.min.js)
_BUNDLE = re.compile(r"package_data/plotly(-gl)?(\.v\w+)?\.min\.js")


@lru_cache(maxsize=1)
def _bodies() -> dict[str, tuple[bytes, str]]:
    """The bundle ("") and its lazy part ("-gl"), each with its ETag."""
    main, lazy = served_js()
    out = {}
    for name, text in (("", main), ("-gl", lazy)):
        if text is not None:
            body = text.encode("utf-8")
            out[name] = (body, hashlib.sha1(body).hexdigest())
    return out


def bundle_response(fingerprinted_path: str) -> Response | None:
    """The app's plotly.js for Dash's bundle path (``plotly.min.js``, fingerprinted or not), or
    its lazy part (``plotly-gl.min.js``)."""
    match = _BUNDLE.fullmatch(fingerprinted_path)
    if match is None or (match.group(1) or "") not in _bodies():
        return None
    body, etag = _bodies()[match.group(1) or ""]
    response = Response(body, mimetype="text/javascript")
    response.set_etag(etag)
    if match.group(2):  # fingerprinted, as Dash caches its fingerprinted suites
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
    return response.make_conditional(request)


def install(app: dash.Dash) -> None:
    """Serve the trimmed bundle at Dash's URL, and make the index page of every page in ``EAGER``
    start loading it at once."""
    url = app.config.requests_pathname_prefix + SUITE
    interpolate = app.interpolate_index

    def index(**parts: str) -> str:
        if has_request_context() and page_of(request.path) in EAGER:
            parts["scripts"] = parts.get("scripts", "") + f'<script defer src="{url}"></script>'
        return interpolate(**parts)

    app.interpolate_index = index  # Dash's documented override point for the index page
    # deriving the bundle takes ~1 s of CPU once per process: done while the app starts, not
    # on its first page's critical path (nor beside its first requests, holding the GIL)
    _bodies()

    # Dash's own view of its component suites, wrapped: a view runs after every before_request
    # guard (authentication included), as Dash's did
    endpoint = next(r.endpoint for r in app.server.url_map.iter_rules()
                    if "_dash-component-suites/" in r.rule)
    serve = app.server.view_functions[endpoint]

    def suites(package_name: str, fingerprinted_path: str):
        if package_name == "plotly":
            response = bundle_response(fingerprinted_path)
            if response is not None:
                return response
        return serve(package_name=package_name, fingerprinted_path=fingerprinted_path)

    app.server.view_functions[endpoint] = suites
