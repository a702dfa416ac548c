"""The app served by gunicorn from CC_CONFIG answers the page and its layout, compressed."""

from __future__ import annotations

import gzip
import json
import urllib.request
from pathlib import Path

from tests.support.servers import gunicorn_app


def _get(url: str, gzip_ok: bool = False) -> tuple[int, dict, bytes]:
    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
        return r.status, dict(r.headers), r.read()


def test_gunicorn_serves_an_experiment(tmp_path: Path, generated_experiment: Path):
    name = generated_experiment.stem  # a JSON models file is named after the file
    with gunicorn_app(generated_experiment, tmp_path, workers=2) as url:
        status, _, body = _get(url + "/")
        assert status == 200 and b"_dash-config" in body
        status, headers, body = _get(url + "/_dash-layout", gzip_ok=True)
        assert status == 200
        assert headers.get("Content-Encoding") == "gzip"  # served with compression
        layout = json.loads(gzip.decompress(body))
        text = json.dumps(layout)
        assert name in text and "_pages_content" in text


def test_gunicorn_overview_layout_holds_every_model(tmp_path: Path, generated_experiment: Path):
    every = [m["id"] for m in json.loads(generated_experiment.read_text())["models"]]
    with gunicorn_app(generated_experiment, tmp_path) as url:
        body = json.dumps({"output": ".._pages_content.children..._pages_store.data..",
                           "outputs": [{"id": "_pages_content", "property": "children"},
                                       {"id": "_pages_store", "property": "data"}], "inputs": [
                               {"id": "_pages_location", "property": "pathname", "value": "/"},
                               {"id": "_pages_location", "property": "search", "value": ""}],
                           "changedPropIds": ["_pages_location.pathname"], "state": []}).encode()
        req = urllib.request.Request(url + "/_dash-update-component", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            payload = r.read().decode()
        assert r.status == 200
        for mid in every:
            assert f'"id": "{mid}"' in payload or f'"id":"{mid}"' in payload
