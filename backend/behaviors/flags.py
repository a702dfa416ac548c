"""Which instances of a comparison carry review notes, and the comparison's scope name.

An instance note is made on the Behaviors page either for the comparison on screen (its scope
names the compared models and base) or globally (a bad label is bad in every comparison). The
page shows each instance's latest status and can keep only the flagged instances; both read
these plain functions, which take the notes as read from the store (no database import here,
so the app runs without the ``[team]`` extra).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from backend.viewstate.codec import encode_ids

GLOBAL = "global"  # backend.annotations.records.GLOBAL_SCOPE (tests check they agree)
MAX_SCOPE = 1024  # backend.annotations.records.MAX_SCOPE


class InstanceNote(Protocol):
    """The fields of ``backend.annotations.Annotation`` read here."""

    target: str
    instance_id: str | None
    scope: str
    status: str


def comparison_scope(models: Sequence[str], base: str | None) -> str:
    """The scope of notes made for one comparison: its base and its models in a fixed order
    (the same models in another order are the same comparison). Readable on the list page;
    a digest when the ids are too long for the column."""
    text = f"base={encode_ids([base or ''])};models={encode_ids(sorted(models))}"
    if len(text) <= MAX_SCOPE:
        return text
    return f"base={encode_ids([base or ''])[:200]};models sha1:{hashlib.sha1(text.encode()).hexdigest()}"


def instance_flags(notes: Iterable[InstanceNote], scope: str) -> dict[str, str]:
    """Each instance's latest status among its notes of this comparison and its global notes
    (``notes`` in the order they were written)."""
    latest: dict[str, str] = {}
    for note in notes:
        if note.target == "instance" and note.instance_id is not None and note.scope in (GLOBAL, scope):
            latest[note.instance_id] = note.status
    return latest


def wanted(flags: Mapping[str, str], statuses: Sequence[str]) -> frozenset[str]:
    """The instance ids the review filter keeps: every flagged one, or those whose latest status
    is one of ``statuses``."""
    if not statuses:
        return frozenset(flags)
    keep = set(statuses)
    return frozenset(i for i, s in flags.items() if s in keep)
