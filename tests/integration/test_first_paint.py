"""The first paint in one layout request: the page is in ``_dash-layout``, no server callback runs
on load, static bundles are compressed once and kept by the browser, a page loads only the
component libraries it draws, no page loads Dash's polyfill, and the Overview starts plotly.js
with its index page (``python -m benchmarks --only P1`` times it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server import cli
from server.lazy_bundles import placeholders
from tests.support import tiny
from tests.support.renderer import walk

MODELS = ("base", "child", "other")
PAGES = ("/?sel=base,child&filter=Accuracy:0.35:1&tab=filter",
         "/behaviors?models=base,child&base=base",
         "/layers?models=base,child&base=base&instance=3")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("first-paint")
    (folder / "ckpt").mkdir()
    for seed, mid in enumerate(MODELS):
        tiny.save_linear(folder / "ckpt" / f"{mid}.pt", seed=seed)
    config = folder / "exp.yaml"
    config.write_text(
        "name: tiny first paint\n"
        "models:\n"
        "  - {id: base, checkpoint: ckpt/base.pt, metrics: {Accuracy: 0.5}}\n"
        "  - {id: child, base: base, checkpoint: ckpt/child.pt, metrics: {Accuracy: 0.4}}\n"
        "  - {id: other, base: base, checkpoint: ckpt/other.pt, metrics: {Accuracy: 0.3}}\n"
        "metrics: [{name: Accuracy, primary: true}]\n"
        "inspector: {module: tests.support.tiny, class: TinyInspector, device: cpu, batch_size: 32}\n")
    return cli.create_app(config, folder / "cache")


class _Post:
    method, path, full_path = "POST", "/_dash-update-component", "/_dash-update-component?"


def _layout(app, referrer: str | None) -> dict:
    headers = {"Referer": referrer} if referrer else {}
    return app.server.test_client().get("/_dash-layout", headers=headers).json


def _props(layout: dict, ident: str) -> dict:
    return next(c["props"] for c in walk(layout) if c["props"].get("id") == ident)


@pytest.mark.parametrize("url", PAGES)
def test_the_layout_request_of_a_page_holds_that_page(app, url: str):
    path, _, query = url.partition("?")
    layout = _layout(app, "http://localhost" + url)
    assert _props(layout, "_pages_content").get("children")  # drawn: no router round trip
    for location in ("_pages_location", "app-url"):  # both report no change when they mount
        assert (_props(layout, location)["pathname"], _props(layout, location)["search"]) == (path, f"?{query}")
    assert "base" in _props(layout, "nav-behaviors")["href"]  # the top bar carries the models


@pytest.mark.parametrize("referrer", [None, "http://elsewhere.example/?sel=base", "http://localhost/nowhere"])
def test_without_a_page_of_ours_the_router_fills_the_container(app, referrer: str | None):
    layout = _layout(app, referrer)
    assert not _props(layout, "_pages_content").get("children")
    assert "pathname" not in _props(layout, "_pages_location")


@pytest.mark.parametrize("url", PAGES)
def test_page_load_runs_no_server_callback(app, url: str):
    """Every server callback whose input is on the first layout waits for a change: the layout
    holds its answer. No store is given ``data=None``: it would report a change on mount."""
    layout = _layout(app, "http://localhost" + url)
    present = {json.dumps(c["props"]["id"], sort_keys=True) if isinstance(c["props"].get("id"), dict)
               else c["props"].get("id") for c in walk(layout)}
    deps = app.server.test_client().get("/_dash-dependencies").json
    fired = [d["output"] for d in deps
             if not d.get("clientside_function") and not d.get("prevent_initial_call")
             and any(i["id"] in present for i in d["inputs"])]
    assert fired == []
    stores = [c["props"] for c in walk(layout) if c["type"] == "Store"]
    assert stores and all(s.get("data", "absent") is not None for s in stores)


def test_static_bundles_are_compressed_once_and_fingerprinted_assets_kept(app):
    client = app.server.test_client()
    plotly = "/_dash-component-suites/plotly/package_data/plotly.min.js"
    first = client.get(plotly, headers={"Accept-Encoding": "gzip"})
    again = client.get(plotly, headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip" and first.data == again.data
    compress = next(f.__self__ for f in app.server.after_request_funcs[None] if hasattr(f, "__self__"))
    assert compress.cache.get(f"gzip;{plotly}?") == first.data  # compressed once, then kept
    assert compress.cache_key(_Post()) is None  # callbacks and layouts are compressed each time
    index = client.get("/").get_data(as_text=True)
    style = index[index.index("/assets/style.css?m="):].split('"')[0]
    assert "max-age=31536000" in client.get(style).headers["Cache-Control"]
    assert "max-age" not in client.get("/assets/style.css").headers.get("Cache-Control", "")


def test_a_page_loads_only_the_component_libraries_it_draws(app):
    client = app.server.test_client()

    def lazy(path: str) -> set[str]:
        text = client.get(path).get_data(as_text=True)
        return {ns for ns in ("dash_ag_grid", "dash_cytoscape") if f'data-namespace="{ns}"' in text}

    assert lazy("/") == {"dash_ag_grid"}
    assert lazy("/behaviors?models=base,child") == {"dash_cytoscape"}
    assert lazy("/layers") == {"dash_ag_grid", "dash_cytoscape"}
    tag = '<script src="/_dash-component-suites/dash_ag_grid/dash_ag_grid.v1m2.min.js"></script>'
    assert placeholders(tag, {"dash_ag_grid"}) == tag
    assert placeholders(tag, set()) == ('<script type="cc/lazy" data-namespace="dash_ag_grid" data-src="'
                                        '/_dash-component-suites/dash_ag_grid/dash_ag_grid.v1m2.min.js" '
                                        'data-components="AgGrid"></script>')


def test_repo_has_no_timer_waits_in_assets():
    assets = Path(__file__).resolve().parents[2] / "assets"
    for js in assets.glob("*.js"):
        assert "setTimeout" not in js.read_text() and "setInterval" not in js.read_text(), js.name


def test_the_overview_starts_plotly_with_its_index_page(app):
    """The Overview always draws its scatterplot: plotly.js (the plotly package's own bundle,
    Dash's fingerprint-free suite URL) is a ``defer`` script of its index; Layers waits for a graph."""
    from server.plotly_bundle import SUITE

    client = app.server.test_client()
    overview, layers = client.get("/").get_data(as_text=True), client.get("/layers").get_data(as_text=True)
    assert f'<script defer src="/{SUITE}"></script>' in overview
    assert SUITE not in layers
    bundle = client.get("/" + SUITE)
    assert bundle.status_code == 200 and len(bundle.data) > 1_000_000


@pytest.mark.parametrize("url", ["/", "/behaviors?models=base,child", "/layers"])
def test_no_page_loads_the_polyfill_and_each_gets_the_regenerator_shim(app, url: str):
    """server/legacy_scripts.py: Dash's core-js polyfill and the DataTable loader are left out;
    assets/cc_regenerator.js gives the lazy loader the one global of the polyfill it calls."""
    text = app.server.test_client().get(url).get_data(as_text=True)
    assert "polyfill@" not in text and "dash_table/bundle" not in text
    assert "/assets/cc_regenerator.js" in text and "react-dom@18" in text


@pytest.mark.parametrize("url", ["/", "/behaviors?models=base,child", "/layers"])
def test_every_page_asks_for_its_layout_before_its_scripts(app, url: str):
    """server/early_requests.py: the first thing in <head> starts the layout and callback-graph
    requests, at the app's URL prefix (tests/browser/test_early_requests.py runs it)."""
    from server.early_requests import script

    text = app.server.test_client().get(url).get_data(as_text=True)
    head = text[text.index("<head>") + len("<head>"):].lstrip()
    assert head.startswith(script("/"))
    assert '["/_dash-layout", "/_dash-dependencies"]' in script("/")
    assert '["/team/_dash-layout", "/team/_dash-dependencies"]' in script("/team/")


def test_every_plotly_bundle_url_serves_the_trimmed_bundle(app):
    """server/plotly_bundle.py: Dash's URL of the plotly package's bundle, fingerprinted or not,
    serves backend/present/plotly_js's bundle (only the app's trace types, scattergl loaded
    when first drawn from the URL beside it), each with its own ETag; the other suites are Dash's."""
    from backend.present.plotly_js import served_js

    client = app.server.test_client()
    text, lazy = served_js()
    assert lazy is not None
    plain = client.get("/_dash-component-suites/plotly/package_data/plotly.min.js")
    printed = client.get("/_dash-component-suites/plotly/package_data/plotly.v7_1_0m1.min.js")
    assert plain.get_data(as_text=True) == text == printed.get_data(as_text=True)
    assert "max-age" not in plain.headers.get("Cache-Control", "")
    assert "max-age=31536000" in printed.headers["Cache-Control"]
    again = client.get("/_dash-component-suites/plotly/package_data/plotly.min.js",
                       headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    part = client.get("/_dash-component-suites/plotly/package_data/plotly-gl.v7_1_0m1.min.js")
    assert part.get_data(as_text=True) == lazy and part.headers["ETag"] != plain.headers["ETag"]
    assert "max-age=31536000" in part.headers["Cache-Control"]
    graph = client.get("/_dash-component-suites/dash/dcc/async-graph.js")
    assert graph.status_code == 200 and b"register([" not in graph.data
    assert client.get("/_dash-component-suites/plotly/package_data/other.js").status_code == 404
