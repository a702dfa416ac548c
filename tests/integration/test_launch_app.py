""""New experiment…" through the app's own requests: off without ``launch:``, refused in one line
outside the schema, and behind authentication only for signed-in users."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.shared import ids
from tests.support.mini_demo import write_mini_demo
from tests.support.renderer import Renderer

HEADER = "X-Forwarded-User"


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_mini_demo(tmp_path_factory.mktemp("launch-app"))


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.delenv("CC_AUTH_USERS_FILE", raising=False)
    monkeypatch.delenv("CC_AUTH_PROXY_HEADER", raising=False)
    monkeypatch.setenv("CC_CACHE_DIR", str(tmp_path / "cache"))
    return monkeypatch


def _renderer(server, headers: dict[str, str]) -> Renderer:
    client = server.test_client()

    def send(method: str, path: str, body, params):
        r = client.open(path, method=method, json=body, query_string=params or {}, headers=headers)
        return r.status_code, r.get_data(as_text=True)

    return Renderer(send)


def _plan(renderer: Renderer, amount: str, selection: str = "cnn"):
    page = renderer.open(f"/?sel={selection}")
    dep = renderer.dependency(f"{ids.OV_LAUNCH_PLAN}.data")
    param = json.dumps({"name": "amount", "type": ids.OV_LAUNCH_PARAM}, separators=(",", ":"))  # Dash's id text
    return renderer.call(page, dep, trigger=(ids.OV_LAUNCH_GO, "n_clicks"),
                         values={(ids.OV_LAUNCH_GO, "n_clicks"): 1, (param, "value"): amount})


def test_off_without_launch_in_the_config(env, mini, tmp_path):
    from app import create_app

    config = tmp_path / "off.yaml"
    config.write_text("\n".join(line for line in mini.read_text().splitlines() if not line.startswith("launch:"))
                      + "\n")
    config.with_name("models.yaml").write_bytes(mini.with_name("models.yaml").read_bytes())
    renderer = _renderer(create_app(config).server, {})
    page = renderer.open("/?sel=cnn")
    assert page.status == 200 and page.prop(ids.OV_LAUNCH_BOX, "hidden", "absent") == "absent"
    answer = _plan(renderer, "0.3")
    assert answer.outputs[ids.OV_LAUNCH_STATUS]["children"] == (
        "This experiment's config does not enable launching (launch:).")


def test_control_shows_for_one_selected_model_and_checks_values(env, mini):
    from app import create_app

    renderer = _renderer(create_app(mini).server, {})
    assert renderer.open("/?sel=cnn").prop(ids.OV_LAUNCH_BOX, "hidden") is False
    assert renderer.open("/").prop(ids.OV_LAUNCH_BOX, "hidden") is True
    refused = _plan(renderer, "0.3, 1.5")
    assert refused.outputs[ids.OV_LAUNCH_STATUS]["children"] == (
        "operation 'global magnitude prune': amount: 1.5 is outside [0, 0.999]")
    assert ids.OV_LAUNCH_PLAN not in refused.outputs
    planned = _plan(renderer, "0.3, 0.6").outputs[ids.OV_LAUNCH_PLAN]["data"]
    assert planned["base"] == "cnn" and planned["runs"] == [{"amount": 0.3}, {"amount": 0.6}]
    none = _plan(renderer, "0.3", selection="")
    assert none.outputs[ids.OV_LAUNCH_STATUS]["children"] == "Select exactly one model on the map to start from."


def test_with_auth_only_signed_in_users_launch(env, mini):
    from app import create_app

    env.setenv("CC_AUTH_PROXY_HEADER", HEADER)
    server = create_app(mini).server
    alice = _renderer(server, {HEADER: "alice"})
    planned = _plan(alice, "0.3").outputs[ids.OV_LAUNCH_PLAN]["data"]
    assert planned["runs"] == [{"amount": 0.3}]
    page = alice.open("/?sel=cnn")
    for dep in (alice.dependency(f"{ids.OV_LAUNCH_PLAN}.data"), alice.dependency(f"{ids.OV_LAUNCH_NAV}.href")):
        body = alice.payload(page, dep, values={(ids.OV_LAUNCH_GO, "n_clicks"): 1,
                                                (ids.OV_LAUNCH_PLAN, "data"): planned})
        assert server.test_client().post("/_dash-update-component", json=body).status_code == 403


def test_a_hand_made_plan_is_checked_again_in_the_job(env, mini):
    from app import create_app

    renderer = _renderer(create_app(mini).server, {})
    page = renderer.open("/?sel=cnn")
    dep = renderer.dependency(f"{ids.OV_LAUNCH_NAV}.href")
    for plan, line in (
        ({"base": "cnn", "operation": "global magnitude prune", "runs": [{"amount": 0.1}] * 17},
         "17 runs requested; at most 16 at once"),
        ({"base": "cnn", "operation": "global magnitude prune", "runs": [{"amount": 7}]},
         "operation 'global magnitude prune': amount: 7 is outside [0, 0.999]"),
        ({"base": "cnn", "operation": "rm -rf", "runs": [{}]}, "operation: 'rm -rf' is not offered"),
    ):
        answer = renderer.call(page, dep, trigger=(ids.OV_LAUNCH_PLAN, "data"),
                               values={(ids.OV_LAUNCH_PLAN, "data"): plan})
        assert answer.outputs[ids.OV_LAUNCH_STATUS]["children"].startswith(line), answer.body[:300]
    assert renderer.open("/").status == 200  # still serving
