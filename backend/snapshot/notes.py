"""The snapshot's "Review notes" section: the team's notes on the models a view shows.

Why here and plain: the notes are read by the pages (through the app's own store,
``pages._annotation_data``) and handed over as records, so this module needs no database and no
Dash; every field goes through ``fragments.text``, so a note holding ``<script>`` stays text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from backend.snapshot.document import Section
from backend.snapshot.fragments import Html, join, table, tag

TITLE = "Review notes"
MAX_NOTES = 200  # a snapshot is a page to read, not an export (the list page has the CSV)


class NoteLike(Protocol):
    """What the section reads of a note (``backend.annotations.Annotation`` has it)."""

    target: str
    model_id: str
    instance_id: str | None
    status: str
    note: str
    author: str
    updated_at: datetime


def _when(value: datetime) -> str:
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.strftime("%Y-%m-%d %H:%M UTC")


def status_slug(status: str) -> str:
    """A status as a class name part (``needs-review``); assets/cc_annotations.js's ``slug``."""
    return re.sub(r"[^a-z0-9]+", "-", status.lower()).strip("-") or "other"


def flag_class(status: str) -> str:
    """A status's badge class (``cc-flag-regression``), one rule for the app and its snapshots, so
    statuses look the same; declared names get a neutral colour."""
    return "cc-flag cc-flag-" + status_slug(status)


def _model(n: NoteLike) -> str:
    return n.model_id if n.target != "instance" else f"{n.model_id} · instance {n.instance_id}"


def notes_section(notes: Sequence[NoteLike] | None, *, problem: str | None = None,
                  scope: str = "", limit: int = MAX_NOTES) -> Section:
    """The section: newest first, at most ``limit`` rows and a "… N more" line; ``problem`` (the
    store is unavailable) or no notes is one line."""
    if problem is not None or notes is None:
        line = problem or "annotations: unavailable"
        return Section(TITLE, tag("p", line, class_="cc-warn snap-notes-problem"))
    if not notes:
        return Section(TITLE, tag("p", f"No review notes{scope}.", class_="cc-hint snap-notes-none"))
    newest = sorted(notes, key=lambda n: n.updated_at, reverse=True)
    shown = newest[:max(0, limit)]
    rows = [[_model(n), tag("span", n.status, class_=flag_class(n.status)),
             tag("div", n.note, class_="cc-note-text"), n.author, _when(n.updated_at)] for n in shown]
    count = f"{len(notes):,} note{'s' if len(notes) != 1 else ''}{scope}, newest first."
    parts: list[Html] = [tag("p", count, class_="cc-hint"),
                         table(["Model", "Status", "Note", "Author", "Updated"], rows,
                               class_="cc-annotations-table")]
    if len(notes) > len(shown):
        parts.append(tag("p", f"… {len(notes) - len(shown):,} more", class_="cc-hint snap-notes-more"))
    return Section(TITLE, join(parts), wide=True)
