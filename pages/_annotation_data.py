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
        return notes_panel(model, store.list(model_id=model, target="model"), store.statuses)
    except Exception as exc:  # noqa: BLE001  Unavailable / AnnotationsUnavailable: shown as its line
        if not notes_server.is_unavailable(exc):
            raise
        return notes_panel(model, None, (), problem=str(exc))

