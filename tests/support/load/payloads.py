"""Payload templates of the load test: filling in a user's selection, finding selections in answers.

Why its own module: the capture script (``capture_payloads.py``) writes these templates and
the load test replays them; both use the same placeholders and the same selection encoding.
Re-exported by ``tests.support.load``.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus

PAYLOADS = Path(__file__).with_name("recorded") / "demo.json"
UPDATE = "/_dash-update-component"
_QUERY_SELECTION = re.compile(r"[?&](?:sel|models)=([^&#\"'\s]*)")


def encode_ids(ids: list[str]) -> str:
    """As backend.viewstate.codec.encode_ids: ids joined by commas, their own commas escaped."""
    return ",".join(i.replace("%", "%25").replace(",", "%2C") for i in ids)


def decode_ids(value: str) -> list[str]:
    """Inverse of ``encode_ids`` on a once-decoded query value."""
    return [part.replace("%2C", ",").replace("%25", "%") for part in value.split(",") if part]


def fill(value: Any, selection: list[str]) -> Any:
    """A recorded body with one user's selection in place of the placeholders."""
    if value == "$SEL":
        return list(selection)
    if value == "$BASE":
        return selection[0]
    if isinstance(value, str) and value.startswith("$M") and value[2:].isdigit():
        return selection[int(value[2:])]
    if isinstance(value, list):
        return [fill(v, selection) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, selection) for k, v in value.items()}
    if isinstance(value, str):
        plain = encode_ids(selection)
        return (value.replace("{sel_q}", quote(plain, safe="")).replace("{sel}", plain)
                .replace("{base_q}", quote(selection[0], safe="")))
    return value


def poll_body(body: dict) -> dict:
    """What the renderer re-sends while polling a job: the same body, values nulled."""
    out = json.loads(json.dumps(body))
    for key in ("inputs", "state"):
        for item in out.get(key) or []:
            if isinstance(item, dict):
                item["value"] = None
    return out


def end_id(html: str) -> str | None:
    """The page load's signed ``end_id`` from the ``_dash-config`` script of the index page."""
    marker = '<script id="_dash-config" type="application/json">'
    start = html.find(marker)
    if start < 0:
        return None
    text = html[start + len(marker):html.index("</script>", start)]
    return json.loads(text).get("end_id")


def selections_in(text: str) -> list[frozenset[str]]:
    """Every model selection a response carries: query values and ``models`` lists."""
    found = [frozenset(decode_ids(unquote_plus(m))) for m in _QUERY_SELECTION.findall(text)]
    try:
        doc = json.loads(text)
    except ValueError:
        return found

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("models", "sel") and isinstance(value, list) and value \
                        and all(isinstance(v, str) for v in value):
                    found.append(frozenset(value))
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return found


def user_selections(models: list[str], users: int, size: int = 3, seed: int = 0) -> list[list[str]]:
    """``users`` distinct selections of ``size`` models (seeded, so runs are comparable)."""
    rng = random.Random(seed)
    chosen: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    attempts = 0
    while len(chosen) < users:
        attempts += 1
        if attempts > 100 * users + 1000:
            raise SystemExit(f"cannot draw {users} distinct selections of {size} from {len(models)} models")
        pick = rng.sample(models, size)
        if frozenset(pick) not in seen:
            seen.add(frozenset(pick))
            chosen.append(pick)
    return chosen

