"""What an annotation is, and the checks a new or edited one passes before it is stored.

Kept apart from the database code so the UI and the HTTP endpoint can validate and describe
notes with the same rules (and the same one-line messages) without a connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

DEFAULT_STATUSES: tuple[str, ...] = ("needs review", "approved", "regression")
GLOBAL_SCOPE = "global"
TARGETS = ("model", "instance")
MAX_NOTE = 10_000
MAX_ID = 512
MAX_SCOPE = 1024
MAX_STATUS = 64
MAX_AUTHOR = 256


class AnnotationError(ValueError):
    """A refused annotation (unknown status, empty id, note too long): one line."""


@dataclass(frozen=True)
class Annotation:
    """One review note, as read back from the store (plain values, no ORM object)."""

    id: int
    target: str
    model_id: str
    instance_id: str | None
    scope: str
    status: str
    note: str
    author: str
    created_at: datetime
    updated_at: datetime


def statuses_for(declared: Iterable[str] = ()) -> tuple[str, ...]:
    """The built-in statuses, then the config's own, each once, in order."""
    out = list(DEFAULT_STATUSES)
    for name in declared:
        name = name.strip()
        if name and name not in out:
            out.append(name)
    return tuple(out)


def _text(value: object, field: str, limit: int, empty_ok: bool = False) -> str:
    if not isinstance(value, str):
        raise AnnotationError(f"annotation {field}: must be text, got {type(value).__name__}")
    if not value.strip() and not empty_ok:
        raise AnnotationError(f"annotation {field}: must not be empty")
    if len(value) > limit:
        raise AnnotationError(f"annotation {field}: at most {limit:,} characters, got {len(value):,}")
    if "\x00" in value:
        raise AnnotationError(f"annotation {field}: must not contain a NUL character")
    return value


def check_status(status: object, statuses: Iterable[str]) -> str:
    """The status if it is one of ``statuses``, else one line listing them."""
    allowed = tuple(statuses)
    text = _text(status, "status", MAX_STATUS)
    if text not in allowed:
        raise AnnotationError(f"annotation status: {text!r} is not one of {', '.join(allowed)}")
    return text


def check_note(note: object) -> str:
    """Plain text of at most MAX_NOTE characters (may be empty: a status alone is a note)."""
    return _text("" if note is None else note, "note", MAX_NOTE, empty_ok=True)


def check_target(target: object, model_id: object, instance_id: object,
                 scope: object) -> tuple[str, str, str | None, str]:
    """``(target, model_id, instance_id, scope)`` checked: an instance note names an instance."""
    if target not in TARGETS:
        raise AnnotationError(f"annotation target: must be one of {', '.join(TARGETS)}, got {target!r}")
    model = _text(model_id, "model id", MAX_ID)
    instance: str | None = None
    if target == "instance":
        instance = _text("" if instance_id is None else str(instance_id), "instance id", MAX_ID)
    elif instance_id not in (None, ""):
        raise AnnotationError("annotation instance id: only an instance annotation has one")
    where = _text(GLOBAL_SCOPE if scope in (None, "") else scope, "scope", MAX_SCOPE)
    return str(target), model, instance, where


def check_author(author: object) -> str:
    """The signed-in user's name (``anonymous`` without auth)."""
    return _text(author, "author", MAX_AUTHOR)
