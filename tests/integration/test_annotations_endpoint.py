"""The ``/_cc/annotations`` endpoint under the real app: add, edit, delete, list and export as
the signed-in user; bad input and a database that is down are one line, and the pages still serve."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.support.gunicorn import free_port


@pytest.fixture
def env(monkeypatch, generated_experiment: Path, tmp_path: Path):
    for name in ("CC_AUTH_USERS_FILE", "CC_AUTH_PROXY_HEADER", "CC_ANNOTATIONS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CC_CONFIG", str(generated_experiment))
    monkeypatch.setenv("CC_CACHE_DIR", str(tmp_path / "cache"))
    return monkeypatch


def _client():
    from app import create_server

    return create_server().test_client()


def test_add_edit_delete_list_and_export(env, tmp_path: Path):
    client = _client()
    assert (tmp_path / "cache" / "annotations.sqlite").exists()  # migrated at start-up
    made = client.post("/_cc/annotations", json={"model_id": "m2", "status": "regression",
                                                 "note": "<script>alert(1)</script>"})
    assert made.status_code == 201
    note = made.get_json()
    assert (note["author"], note["scope"], note["target"]) == ("anonymous", "global", "model")
    client.post("/_cc/annotations", json={"model_id": "m3", "status": "approved", "note": "ok"})
    assert [a["model_id"] for a in client.get("/_cc/annotations?status=regression").get_json()] == ["m2"]
    edited = client.patch(f"/_cc/annotations/{note['id']}", json={"status": "approved"})
    assert edited.get_json()["status"] == "approved"
    csv = client.get("/_cc/annotations.csv")
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    assert csv.get_data(as_text=True).count("\n") == 3 and "<script>alert(1)</script>" in csv.get_data(as_text=True)
    assert client.delete(f"/_cc/annotations/{note['id']}").status_code == 204
    assert client.delete(f"/_cc/annotations/{note['id']}").get_json() == {
        "error": f"annotation {note['id']}: no such annotation"}
    assert [a["model_id"] for a in client.get("/_cc/annotations").get_json()] == ["m3"]


@pytest.mark.parametrize(("send", "error"), [
    ({"json": {"model_id": "m2", "status": "lgtm"}},
     "annotation status: 'lgtm' is not one of needs review, approved, regression"),
    ({"json": {"model_id": "nope", "status": "approved"}},
     "annotation model id: 'nope' is not a model of this experiment"),
    ({"json": ["m2"]}, "annotations: the body must be a JSON object"),
    ({"data": "model_id=m2&status=approved", "content_type": "application/x-www-form-urlencoded"},
     "annotations: send JSON (Content-Type: application/json)"),
])
def test_bad_input_is_one_line(env, send, error):
    client = _client()
    answer = client.post("/_cc/annotations", **send)
    assert answer.status_code == 400 and answer.get_json() == {"error": error}
    assert client.get("/_cc/annotations").get_json() == []


def test_the_author_is_the_signed_in_user(env, tmp_path: Path):
    users = tmp_path / "users"
    users.write_text("alice:pw\n")
    env.setenv("CC_AUTH_USERS_FILE", str(users))
    client = _client()
    assert client.get("/_cc/annotations").status_code == 401  # guarded like every page
    auth = {"Authorization": "Basic " + base64.b64encode(b"alice:pw").decode()}
    made = client.post("/_cc/annotations", json={"model_id": "m2", "status": "approved"}, headers=auth)
    assert made.get_json()["author"] == "alice"


def test_a_database_that_is_down_is_one_line_and_the_pages_still_serve(env, capsys):
    env.setenv("CC_ANNOTATIONS_URL", f"postgresql+psycopg://cc:secret@127.0.0.1:{free_port()}/cc")
    client = _client()
    logged = capsys.readouterr().err
    assert "warning: annotations: postgresql+psycopg://cc:***@127.0.0.1:" in logged and "secret" not in logged
    answer = client.get("/_cc/annotations")
    assert answer.status_code == 503
    error = answer.get_json()["error"]
    assert error.startswith("annotations: postgresql+psycopg://cc:***@") and "\n" not in error
    assert client.get("/").status_code == 200 and client.get("/_dash-layout").status_code == 200


def _texts(node, class_name: str) -> list:
    """The children of every component with ``class_name`` in a layout's JSON."""
    found = []
    if isinstance(node, dict):
        props = node.get("props", {})
        if class_name in str(props.get("className", "")).split():
            found.append(props.get("children"))
        for value in (props.get("children"), *node.values()):
            if isinstance(value, dict | list) and value is not props:
                found += _texts(value, class_name)
    elif isinstance(node, list):
        for item in node:
            found += _texts(item, class_name)
    return found


def _layout(client, page: str) -> str:
    """The first view of ``page`` (server/first_view.py renders the Referer's page)."""
    answer = client.get("/_dash-layout", headers={"Referer": "http://localhost" + page})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_info_card_and_the_list_page_show_notes_as_text(env):
    client = _client()
    client.post("/_cc/annotations", json={"model_id": "m2", "status": "regression",
                                          "note": "<script>alert(1)</script>"})
    card = _layout(client, "/?sel=m2")
    assert set(map(str, _texts(json.loads(card), "cc-note-text"))) == {"<script>alert(1)</script>"}  # text
    assert "overview-note-save" in card and "Review notes" in card
    assert "Review notes" not in _layout(client, "/?sel=m2,m3")  # one model at a time
    listed = _layout(client, "/annotations?status=regression")
    assert _texts(json.loads(listed), "cc-note-text") == ["<script>alert(1)</script>"] and _texts(json.loads(listed), "cc-button") == ["Export CSV"]
    assert "annotations.csv?status=regression" in listed.replace("\\u002f", "/")
    assert "alert(1)" not in _layout(client, "/annotations?status=approved")


def test_a_database_that_is_down_shows_one_line_where_notes_are_shown(env):
    env.setenv("CC_ANNOTATIONS_URL", f"postgresql+psycopg://cc@127.0.0.1:{free_port()}/cc")
    client = _client()
    for page in ("/?sel=m2", "/annotations"):
        [line] = _texts(json.loads(_layout(client, page)), "cc-notes-problem")
        assert line.startswith("annotations: postgresql+psycopg://cc@127.0.0.1:") and "\n" not in line
    assert "overview-map" in _layout(client, "/?sel=m2")  # the rest of the Overview is there


def _prop(node, component_id: str, prop: str):
    """A property of the component with ``component_id`` in a layout's JSON (None if absent)."""
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == component_id:
            return props.get(prop)
        values = node.values()
    elif isinstance(node, list):
        values = node
    else:
        return None
    for value in values:
        if isinstance(value, dict | list):
            found = _prop(value, component_id, prop)
            if found is not None:
                return found
    return None


def test_flag_in_the_url_selects_the_flagged_models_and_the_map_gets_their_statuses(env):
    client = _client()
    for model, status in (("m2", "regression"), ("m3", "approved"), ("m4", "regression"), ("m4", "approved")):
        client.post("/_cc/annotations", json={"model_id": model, "status": status})
    layout = json.loads(_layout(client, "/?flag=regression"))
    assert _prop(layout, "overview-selection", "data") == ["m2"]  # m4's latest status is approved
    assert _prop(layout, "overview-flags", "data") == {"m2": "regression", "m3": "approved", "m4": "approved"}
    both = json.loads(_layout(client, "/?flag=regression,approved"))
    assert _prop(both, "overview-selection", "data") == ["m2", "m3", "m4"]
    assert _prop(json.loads(_layout(client, "/?flag=regression&sel=m3")), "overview-selection", "data") == ["m3"]


def test_a_note_is_deleted_from_the_pages_by_its_author_only(env):
    from pages._annotation_data import delete_own
    from server import annotations as notes_server

    app = _client().application
    with app.app_context():
        store = notes_server.store()
        theirs = store.add("m2", "regression", "", "alice")
        mine = store.add("m2", "approved", "", "anonymous")  # no auth: everyone is anonymous
        assert delete_own(theirs.id) == f"annotation {theirs.id}: only its author (alice) can delete it"
        assert delete_own(mine.id) == "Deleted."
        assert delete_own(mine.id) == f"annotation {mine.id}: no such annotation (deleted already?)"
        assert delete_own("1; drop table") == "annotation: no such note"
        assert [n.id for n in store.list()] == [theirs.id]
