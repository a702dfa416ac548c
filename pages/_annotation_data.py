"""What the notes section and the list page read: the store, or the one line saying it is down.

Shared by the Overview's first view (pages/_overview_outputs.py), its callbacks and the list
page, so the first paint and a later selection show the same section.
"""

from __future__ import annotations

from collections.abc import Sequence

from components.overview.annotations import notes_panel
from server import annotations as notes_server


def panel_for(selection: Sequence[str]) -> list:
    """The notes section for a selection of exactly one model, else nothing."""
    if len(selection) != 1:
        return []
    model = selection[0]
    try:
        store = notes_server.store()
        return notes_panel(model, store.list(model_id=model, target="model"), store.statuses,
                           user=notes_server.current_user())
    except Exception as exc:  # noqa: BLE001  Unavailable / AnnotationsUnavailable: shown as its line
        if not notes_server.is_unavailable(exc):
            raise
        return notes_panel(model, None, (), problem=str(exc))



def delete_own(note_id: object) -> str:
    """Remove a note the signed-in user wrote; the one line saying what happened (a note by
    someone else is kept: a review note is removed by its author)."""
    from backend.annotations import AnnotationError

    if not isinstance(note_id, int):
        return "annotation: no such note"
    try:
        store = notes_server.store()
        note = store.get(note_id)
        if note is None:
            return f"annotation {note_id}: no such annotation (deleted already?)"
        user = notes_server.current_user()
        if note.author != user:
            return f"annotation {note_id}: only its author ({note.author}) can delete it"
        store.delete(note_id)
    except AnnotationError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001  the database is down: its line
        if not notes_server.is_unavailable(exc):
            raise
        return str(exc)
    return "Deleted."


def model_flags() -> dict[str, str]:
    """Each model's latest review status (the map's rings); none while the database is down."""
    try:
        return notes_server.store().model_statuses()
    except Exception as exc:  # noqa: BLE001  the notes section shows the one line
        if not notes_server.is_unavailable(exc):
            raise
        return {}


def flagged(forest_ids: Sequence[str], statuses: Sequence[str]) -> tuple[tuple[str, ...], str | None]:
    """The models (in the forest's order) whose latest status is one of ``statuses``; or the line
    saying why none could be read."""
    try:
        latest = notes_server.store().model_statuses()
    except Exception as exc:  # noqa: BLE001
        if not notes_server.is_unavailable(exc):
            raise
        return (), str(exc)
    wanted = set(statuses)
    return tuple(m for m in forest_ids if latest.get(m) in wanted), None


def snapshot_notes(models: Sequence[str] | None) -> tuple[dict[str, str], list, str | None]:
    """(each model's latest status, the notes on ``models`` (all when None), None) for a snapshot,
    read through the app's store; ``({}, [], line)`` when the store is unavailable."""
    try:
        store = notes_server.store()
        latest = store.model_statuses()
        notes = store.list() if models is None else store.list(models=list(models))
    except Exception as exc:  # noqa: BLE001  Unavailable / AnnotationsUnavailable: the section's line
        if not notes_server.is_unavailable(exc):
            raise
        return {}, [], str(exc)
    return latest, notes, None
