"""Optional authentication for team deploys (deploy.install_auth), set by environment variables.

CC_AUTH_USERS_FILE: HTTP basic auth (clear or hashed passwords); CC_AUTH_PROXY_HEADER: trust
an authenticating reverse proxy's user header. Everything is protected, including callbacks
and assets; passwords never reach the logs.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

ROUTING = {"output": ".._pages_content.children..._pages_store.data..",
           "outputs": [{"id": "_pages_content", "property": "children"},
                       {"id": "_pages_store", "property": "data"}],
           "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"},
                      {"id": "_pages_location", "property": "search", "value": ""}],
           "changedPropIds": ["_pages_location.pathname"], "state": []}


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def config(generated_experiment: Path) -> Path:
    """Any experiment will do: these tests are about who gets in."""
    return generated_experiment


@pytest.fixture
def clean_env(monkeypatch, config):
    monkeypatch.delenv("CC_AUTH_USERS_FILE", raising=False)
    monkeypatch.delenv("CC_AUTH_PROXY_HEADER", raising=False)
    monkeypatch.setenv("CC_CONFIG", str(config))
    return monkeypatch


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users"
    path.write_text("# team members\nalice:clear-Pa55word\n\n"
                    f"bob:{generate_password_hash('hashed-Pa55word')}\n")
    path.chmod(0o600)
    return path


def test_basic_auth_refuses_without_credentials_and_accepts_with(clean_env, users_file, tmp_path, capsys):
    from app import create_server

    clean_env.setenv("CC_AUTH_USERS_FILE", str(users_file))
    clean_env.setenv("CC_CACHE_DIR", str(tmp_path / "cache"))
    client = create_server().test_client()  # the gunicorn entry point
    err = capsys.readouterr().err
    assert f"auth: basic, 2 users from {users_file}" in err
    assert "Pa55word" not in err

    for path in ("/", "/_dash-layout", "/_dash-dependencies", "/behaviors",
                 "/_dash-component-suites/plotly/package_data/plotly.min.js"):  # served by our view
        r = client.get(path)
        assert r.status_code == 401, path
        assert r.headers["WWW-Authenticate"].startswith("Basic ")
    assert client.post("/_dash-update-component", json=ROUTING).status_code == 401
    for headers in (_basic("alice", "wrong"), _basic("bob", "clear-Pa55word"), _basic("eve", "x"),
                    {"Authorization": "Basic !!!not-base64"}, {"Authorization": "Bearer token"},
                    {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}):
        assert client.get("/", headers=headers).status_code == 401, headers

    assert client.get("/", headers=_basic("alice", "clear-Pa55word")).status_code == 200
    for _ in range(2):  # the hashed password, then its remembered verification
        assert client.get("/_dash-layout", headers=_basic("bob", "hashed-Pa55word")).status_code == 200
    r = client.post("/_dash-update-component", json=ROUTING, headers=_basic("alice", "clear-Pa55word"))
    assert r.status_code == 200 and '"root0"' in r.get_data(as_text=True)  # a model id of the experiment
    assert "Pa55word" not in capsys.readouterr().err


def test_proxy_header_mode_refuses_requests_without_the_header(clean_env, config, tmp_path, capsys):
    from app import create_app

    clean_env.setenv("CC_AUTH_PROXY_HEADER", "X-Forwarded-User")
    client = create_app(config, tmp_path / "cache").server.test_client()
    assert "auth: trusting the reverse proxy's X-Forwarded-User header" in capsys.readouterr().err
    assert client.get("/").status_code == 403
    assert client.get("/", headers={"X-Forwarded-User": "  "}).status_code == 403
    assert client.get("/", headers={"X-Other-User": "alice"}).status_code == 403
    assert client.post("/_dash-update-component", json=ROUTING).status_code == 403
    assert client.get("/", headers={"X-Forwarded-User": "alice"}).status_code == 200
    r = client.post("/_dash-update-component", json=ROUTING, headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 200 and json.loads(r.get_data())["response"]


def test_no_auth_variables_means_open(clean_env, config, tmp_path):
    from app import create_app

    assert create_app(config, tmp_path / "cache").server.test_client().get("/").status_code == 200


@pytest.mark.parametrize("content, expected", [
    ("alice:ok-Pa55word\nmallory-secret-Pa55word\n", "line 2: expected 'user:password'"),
    ("alice:ok-Pa55word\nalice:other-Pa55word\n", "line 2: user 'alice' appears twice"),
    ("# nobody\n", "no users (one 'user:password' per line)"),
])
def test_bad_users_file_is_one_line_without_passwords(clean_env, tmp_path, capsys, content, expected):
    from app import create_server

    path = tmp_path / "users"
    path.write_text(content)
    clean_env.setenv("CC_AUTH_USERS_FILE", str(path))
    clean_env.setenv("CC_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(SystemExit) as exc:
        create_server()
    assert exc.value.code == 4  # gunicorn's APP_LOAD_ERROR: the master stops, no respawn loop
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert lines == [f"error: {path}: {expected}"]
    assert "Pa55word" not in lines[0]


def test_missing_users_file_and_both_modes_are_refused(clean_env, tmp_path, capsys):
    from app import create_server

    clean_env.setenv("CC_CACHE_DIR", str(tmp_path / "cache"))
    clean_env.setenv("CC_AUTH_USERS_FILE", str(tmp_path / "absent"))
    with pytest.raises(SystemExit):
        create_server()
    assert f"error: CC_AUTH_USERS_FILE: cannot read users file {tmp_path / 'absent'}" in capsys.readouterr().err
    clean_env.setenv("CC_AUTH_PROXY_HEADER", "X-Forwarded-User")
    with pytest.raises(SystemExit):
        create_server()
    assert "set either CC_AUTH_USERS_FILE or CC_AUTH_PROXY_HEADER, not both" in capsys.readouterr().err
