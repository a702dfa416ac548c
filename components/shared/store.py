"""A client-side store whose empty value is left out of the layout.

Why: a ``dcc.Store`` given ``data=None`` reads its (empty) backing store when it mounts, finds
``undefined``, which is not ``null``, and reports it as a change: every callback reading the
store runs at page load, and the page needs another round trip. Left out, the data is
``undefined`` on both sides, nothing changes, and callbacks still read it as ``None``.
"""

from __future__ import annotations

from typing import Any

from dash import dcc


def store(component_id: str, data: Any = None) -> dcc.Store:
    """A memory ``dcc.Store`` holding ``data``; ``None`` is left out (see the module)."""
    return dcc.Store(id=component_id) if data is None else dcc.Store(id=component_id, data=data)
