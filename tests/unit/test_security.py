"""Security: checkpoints load only as weights (no pickle code runs), and no route serves a file
outside the app's own assets. (tests/unit/test_engine.py covers the os.system pickle through the
engine; these add other payloads, the demo's own loader, and a guard on every load call.)
"""

from __future__ import annotations

import io
import pickle
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import torch

from backend.experiment.forest import Model
from backend.inference.protocol import InspectorError
from tests.conftest import REPO
from tests.support.tiny import TinyInspector


class _Payload:
    """Unpickling calls ``fn(*args)``: each one would create the marker file."""

    def __init__(self, fn, *args) -> None:
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def _payloads(marker: Path) -> dict[str, object]:
    code = f"open({str(marker)!r}, 'w').write('pwned')"
    return {
        "builtins.exec": _Payload(exec, code),
        "builtins.eval": _Payload(eval, f"__import__('pathlib').Path({str(marker)!r}).touch()"),
        "subprocess.call": _Payload(subprocess.call, ["touch", str(marker)]),
        "nested-in-state-dict": {"weight": torch.zeros(3, 6), "bias": _Payload(exec, code)},
    }


def _save(obj: object, path: Path, fmt: str) -> None:
    if fmt == "torch-zip":
        torch.save(obj, path)
    else:
        path.write_bytes(pickle.dumps(obj, protocol=2))


@pytest.mark.parametrize("fmt", ["torch-zip", "raw-pickle"])
@pytest.mark.parametrize("payload", ["builtins.exec", "builtins.eval", "subprocess.call", "nested-in-state-dict"])
def test_torch_inspector_refuses_code_in_checkpoints(tmp_path: Path, payload: str, fmt: str):
    marker = tmp_path / "pwned"
    ckpt = tmp_path / "model.pt"
    _save(_payloads(marker)[payload], ckpt, fmt)
    model = Model("evil", None, None, None, {}, ckpt)
    with pytest.raises(InspectorError) as info:
        TinyInspector(device="cpu").load_model(model)
    message = str(info.value)
    assert message.startswith(f"model 'evil': checkpoint {ckpt} was refused by the weights-only loader")
    assert "\n" not in message
    assert not marker.exists()


def test_demo_loader_refuses_code_in_checkpoints(tmp_path: Path):
    """The demo inspector bypasses read_checkpoint (its own format): it must be weights-only too."""
    from backend.demo.model import load_checkpoint

    marker = tmp_path / "pwned"
    ckpt = tmp_path / "demo.pt"
    torch.save({"state": _payloads(marker)["builtins.exec"]}, ckpt)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(ckpt)
    assert not marker.exists()


def test_checkpoint_zip_with_code_in_a_renamed_member_is_refused(tmp_path: Path):
    """A hand-edited torch zip whose data.pkl holds a GLOBAL opcode for os.system."""
    marker = tmp_path / "pwned"
    good = tmp_path / "good.pt"
    torch.save({"weight": torch.zeros(2)}, good)
    evil_pickle = f"cos\nsystem\n(V touch {marker}\ntR.".encode()  # protocol 0: os.system(...)
    out = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = evil_pickle if item.filename.endswith("data.pkl") else src.read(item)
            dst.writestr(item, data)
    ckpt = tmp_path / "evil.pt"
    ckpt.write_bytes(out.getvalue())
    with pytest.raises(InspectorError, match="refused by the weights-only loader"):
        TinyInspector(device="cpu").load_model(Model("evil", None, None, None, {}, ckpt))
    assert not marker.exists()


SOURCES = sorted(p for folder in ("backend", "components", "pages", "server") for p in (REPO / folder).rglob("*.py")) + [
    p for p in (REPO / "app.py", REPO / "worker.py") if p.is_file()]


def test_every_load_in_the_app_is_weights_only():
    """A guard: torch.load always with weights_only=True; no pickle/joblib/allow_pickle loads."""
    problems = []
    for path in SOURCES:
        text = path.read_text()
        for match in re.finditer(r"torch\.load\(([^)]*)\)", text):
            if "weights_only=True" not in match.group(1):
                problems.append(f"{path.relative_to(REPO)}: {match.group(0)}")
        for bad in ("pickle.load(", "pickle.loads(", "joblib.load(", "allow_pickle=True", "dill.load"):
            if bad in text:
                problems.append(f"{path.relative_to(REPO)}: {bad}")
    assert len(SOURCES) > 20 and problems == []


# --- files are served only from the app's own folders --------------------------------------------
TRAVERSALS = [
    "/assets/../app.py", "/assets/%2e%2e/app.py", "/assets/..%2fapp.py", "/assets/%2e%2e%2fapp.py",
    "/assets/....//app.py", "/assets/%252e%252e/app.py", "/assets//etc/passwd", "/assets/..%5capp.py",
    "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/assets/cc_clientside.js/../../app.py",
    "/_dash-component-suites/dash/../../app.py", "/_dash-component-suites/dash/%2e%2e/%2e%2e/app.py",
    "/_dash-component-suites/..%2f..%2fapp.py", "/_dash-component-suites/dash/deps/..%2f..%2f..%2fapp.py",
    "/_dash-component-suites/dash/dash-renderer/build/../../../../../etc/passwd",
    "/_dash-component-suites/dash_cytoscape/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/_dash-component-suites/not-a-package/x.js", "/static/../app.py", "/static/%2e%2e/app.py", "/static/app.py",
    "/..%2fapp.py", "/%2e%2e/app.py", "/app.py", "/configs/demo.yaml", "/.cache/", "/etc/passwd",
]
SECRETS = ("def create_app", "root:x:0:0", "builder: backend.demo.build")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    import app as cli

    folder = tmp_path_factory.mktemp("traversal")
    (folder / "experiments.yaml").write_text("name: t\nmodels:\n  - {id: a}\n")
    return cli.create_app(folder / "experiments.yaml", folder / "cache").server.test_client()


def test_assets_are_served(client):
    """The control: a real asset answers, so the refusals below are refusals."""
    response = client.get("/assets/cc_clientside.js")
    assert response.status_code == 200 and b"function" in response.data


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_refused(client, path: str):
    response = client.get(path)
    body = response.get_data(as_text=True)
    assert not any(secret in body for secret in SECRETS), path
    # refused, or Dash's catch-all page route answering with the app's index page (not a file)
    assert response.status_code in (400, 404) or (response.status_code == 200 and "_dash-config" in body), \
        (path, response.status_code)


def test_only_dash_routes_take_a_path(client):
    """Instance images travel as data: URIs; no route of ours reads a file. The routes taking a
    path are Dash's and Flask's own: assets, registered bundles, Flask's static folder (none
    exists) and the pages catch-all (always the index page); the traversals above try them all."""
    rules = sorted(str(r) for r in client.application.url_map.iter_rules() if "path:" in str(r))
    assert rules == ["/<path:path>", "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
                     "/assets/<path:filename>", "/static/<path:filename>"], rules
