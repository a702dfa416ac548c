"""The annotations store on SQLite and on a throw-away PostgreSQL: add, edit, delete, filter,
migrations at head, and bad input or a database that is down as one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.annotations import (
    DEFAULT_STATUSES,
    AnnotationError,
    AnnotationsUnavailable,
    annotations_csv,
    database_url,
    open_store,
)
from backend.annotations.migrate import current_revision
from tests.support.gunicorn import free_port


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'notes.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(url: str):
    opened = open_store(url, statuses=["wontfix"])
    yield opened
    opened.close()


def test_add_update_delete_and_list(store):
    first = store.add("m1", "regression", "<script>alert(1)</script>", "alice")
    second = store.add("m2", "approved", "fine", "bob", scope="base=m0;models=m2")
    third = store.add("m1", "needs review", "", "bob", target="instance", instance_id="17")
    assert (first.id < second.id < third.id) and first.note == "<script>alert(1)</script>"
    assert first.created_at.tzinfo is not None and first.scope == "global"
    assert [a.id for a in store.list()] == [first.id, second.id, third.id]
    assert [a.id for a in store.list(model_id="m1")] == [first.id, third.id]
    assert [a.id for a in store.list(status="approved")] == [second.id]
    assert [a.id for a in store.list(target="instance")] == [third.id]
    assert [a.id for a in store.list(models=["m2"], scope="base=m0;models=m2")] == [second.id]
    edited = store.update(first.id, status="wontfix", note="fixed upstream")
    assert (edited.status, edited.note, edited.author) == ("wontfix", "fixed upstream", "alice")
    assert edited.updated_at >= edited.created_at
    assert store.model_statuses() == {"m1": "wontfix", "m2": "approved"}
    assert store.delete(second.id) and not store.delete(second.id)
    assert store.get(second.id) is None and store.get(first.id) == edited


def test_migrations_reach_head_and_reopening_keeps_notes(url: str):
    first = open_store(url)
    first.add("m", "approved", "kept", "a")
    assert current_revision(first.engine) == "0001"
    first.close()
    again = open_store(url)  # the second worker's start-up: the schema is already at head
    assert [a.note for a in again.list()] == ["kept"]
    again.close()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"status": "lgtm"}, "annotation status: 'lgtm' is not one of needs review, approved, regression, wontfix"),
    ({"model_id": " "}, "annotation model id: must not be empty"),
    ({"note": "x" * 10_001}, "annotation note: at most 10,000 characters, got 10,001"),
    ({"target": "layer"}, "annotation target: must be one of model, instance, got 'layer'"),
    ({"instance_id": "3"}, "annotation instance id: only an instance annotation has one"),
    ({"note": "a\x00b"}, "annotation note: must not contain a NUL character"),
])
def test_bad_input_is_one_line_and_stores_nothing(store, kwargs, message):
    args = {"model_id": "m", "status": "approved", "note": "n", "author": "a", **kwargs}
    with pytest.raises(AnnotationError) as caught:
        store.add(args.pop("model_id"), args.pop("status"), args.pop("note"), args.pop("author"), **args)
    assert str(caught.value) == message
    assert store.list() == []


def test_editing_a_missing_note_is_one_line(store):
    with pytest.raises(AnnotationError, match=r"^annotation 99: no such annotation$"):
        store.update(99, note="x")


def test_statuses_default_then_declared():
    from backend.annotations import statuses_for

    assert statuses_for(["wontfix", "approved", " "]) == (*DEFAULT_STATUSES, "wontfix")


def test_url_precedence(tmp_path: Path):
    assert database_url(None, tmp_path, {}) == f"sqlite:///{tmp_path.resolve() / 'annotations.sqlite'}"
    assert database_url("sqlite:///a.db", tmp_path, {}) == "sqlite:///a.db"
    assert database_url("sqlite:///a.db", tmp_path, {"CC_ANNOTATIONS_URL": "sqlite:///b.db"}) == "sqlite:///b.db"


@pytest.mark.parametrize(("url", "start"), [
    ("not a url", "annotations: (not a database URL) is not a database URL"),
    ("mysql://u:secret@h/db", "annotations: mysql://u:***@h/db: use sqlite:///PATH or postgresql+psycopg://"),
    ("postgresql+nodriver://u@h/db", "annotations: postgresql+nodriver://u@h/db: database driver not installed"),
])
def test_bad_urls_are_one_line(url: str, start: str):
    with pytest.raises(AnnotationsUnavailable) as caught:
        open_store(url)
    text = str(caught.value)
    assert text.startswith(start) and "\n" not in text and "secret" not in text


def test_a_database_that_is_down_is_one_line_without_the_password():
    url = f"postgresql+psycopg://cc:secret@127.0.0.1:{free_port()}/cc"  # nothing listens there
    with pytest.raises(AnnotationsUnavailable) as caught:
        open_store(url)
    text = str(caught.value)
    assert text.startswith(f"annotations: postgresql+psycopg://cc:***@127.0.0.1:{url.rsplit(':', 1)[1]}")
    assert "\n" not in text and "secret" not in text


def test_csv_export_quotes_and_defuses_formulas(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'n.sqlite'}")
    store.add("m,1", "regression", '=HYPERLINK("x")\nsecond line', "alice")
    text = annotations_csv(store.list())
    header, _ = text.split("\n", 1)
    assert header == "id,target,model_id,instance_id,scope,status,note,author,created_at,updated_at"
    assert '"m,1"' in text and "\"'=HYPERLINK(\"\"x\"\")\nsecond line\"" in text


def test_ids_are_not_reused_after_a_delete(store):
    first = store.add("m", "approved", "", "a")
    store.delete(first.id)
    assert store.add("m", "approved", "", "a").id > first.id
