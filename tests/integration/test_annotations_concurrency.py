"""Two gunicorn workers take 50 clients × 20 notes at once, on SQLite (WAL, busy timeout) and on
PostgreSQL: every note is stored exactly once."""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.gunicorn import serve

CLIENTS, NOTES = 50, 20


def _post(url: str, client: int) -> list[int]:
    ids = []
    for n in range(NOTES):
        body = json.dumps({"model_id": "m2", "status": "needs review", "note": f"client {client} note {n}"})
        request = urllib.request.Request(url + "/_cc/annotations", data=body.encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            assert answer.status == 201
            ids.append(json.loads(answer.read())["id"])
    return ids


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_concurrent_writers_lose_and_duplicate_nothing(database: str, request: pytest.FixtureRequest,
                                                       generated_experiment: Path, tmp_path: Path):
    env = {"CC_ANNOTATIONS_URL": request.getfixturevalue("postgres_url") if database == "postgresql"
           else f"sqlite:///{tmp_path / 'notes.sqlite'}"}
    with serve(generated_experiment, tmp_path / "cache", workers=2, threads=8, env=env,
               log=tmp_path / "gunicorn.log") as url:
        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            ids = [i for batch in pool.map(lambda c: _post(url, c), range(CLIENTS)) for i in batch]
        seconds = time.monotonic() - started
        with urllib.request.urlopen(url + "/_cc/annotations", timeout=60) as answer:
            stored = json.loads(answer.read())
    notes = [a["note"] for a in stored]
    expected = {f"client {c} note {n}" for c in range(CLIENTS) for n in range(NOTES)}
    lost, duplicated = len(expected - set(notes)), len(notes) - len(set(notes))
    sys.stderr.write(f"{database}: {len(ids)} notes written by {CLIENTS} clients in {seconds:.1f} s, "
                     f"{len(stored)} stored, {lost} lost, {duplicated} duplicated\n")
    assert len(ids) == len(set(ids)) == CLIENTS * NOTES
    assert (lost, duplicated, len(stored)) == (0, 0, CLIENTS * NOTES)
    assert sorted(a["id"] for a in stored) == sorted(ids)
