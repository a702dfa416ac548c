"""Annotations as CSV, for a review meeting's spreadsheet.

A cell that a spreadsheet would run as a formula (starting with = + - @, tab or CR) is prefixed
with an apostrophe, since notes are free text typed by anyone on the team.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from backend.annotations.records import Annotation

COLUMNS = ("id", "target", "model_id", "instance_id", "scope", "status", "note", "author",
           "created_at", "updated_at")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def annotations_csv(notes: Iterable[Annotation]) -> str:
    """A header row, then one row per note, in the given order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for note in notes:
        writer.writerow([_cell(getattr(note, c)) if c != "id" else note.id for c in COLUMNS])
    return out.getvalue()
