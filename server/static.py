"""Static bundles compressed once and cached by the browser for as long as their URL holds.

Why: with Dash's ``compress=True`` Flask-Compress compresses every response anew, plotly.js
(4.7 MB) included, on every page load: about 0.1–0.2 s of server time on the first paint's
critical path. And the assets (``/assets/x.css?m=<mtime>``) were revalidated on every visit
although their URL changes whenever the file does.

- The compressed body of a static GET (Dash's component suites, assets, our ``_cc-static/``
  bundles) is kept per URL and encoding, so each is compressed once per process; callbacks and
  layouts are compressed each time as before (their key is None, which the cache never stores).
- An asset URL carrying Dash's ``m`` (modification time) fingerprint is cached by the browser
  for a year, as Dash already does for its fingerprinted component suites.
"""

from __future__ import annotations

import threading

from flask import Flask, Request, Response, request

YEAR = 31_536_000
STATIC_PREFIXES = ("_dash-component-suites/", "assets/", "_cc-static/")


class CompressedBodies:
    """Flask-Compress's cache backend: compressed static bodies, by encoding and URL."""

    LIMIT = 512  # URLs kept: more than any page loads; a client inventing queries cannot grow it

    def __init__(self) -> None:
        self._bodies: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The compressed body, or None (always None for an uncacheable response)."""
        with self._lock:
            return self._bodies.get(key)

    def set(self, key: str, value: bytes) -> None:
        """Keep a static response's compressed body, up to ``LIMIT`` URLs."""
        if not key.endswith(";None"):
            with self._lock:
                if key in self._bodies or len(self._bodies) < self.LIMIT:
                    self._bodies[key] = value


def _static_key(prefix: str):
    def key(req: Request) -> str | None:
        path = req.path[len(prefix):] if req.path.startswith(prefix) else ""
        if req.method != "GET" or not path.startswith(STATIC_PREFIXES):
            return None
        return req.full_path
    return key


def install(server: Flask, prefix: str = "/") -> None:
    """Compression with cached static bodies, and long-lived caching of fingerprinted assets."""
    from flask_compress import Compress

    server.config["COMPRESS_CACHE_KEY"] = _static_key(prefix)
    server.config["COMPRESS_CACHE_BACKEND"] = CompressedBodies
    Compress(server)
    assets = prefix + "assets/"

    @server.after_request
    def _cache_fingerprinted_assets(response: Response) -> Response:
        if request.path.startswith(assets) and "m" in request.args and response.status_code == 200:
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.no_cache = None
        return response
