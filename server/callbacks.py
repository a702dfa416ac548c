"""Every app this process creates gets every page's callbacks (Dash gives them to the first only).

Why this exists: ``dash.callback`` (used by the pages) registers callbacks into Dash's
module-level lists (``dash._callback.GLOBAL_CALLBACK_MAP``, ``GLOBAL_CALLBACK_LIST`` and
``GLOBAL_INLINE_SCRIPTS``) when a page module is first imported, and the first app's server
set-up takes them, emptying the lists. A process that creates a second app (the tests create
many; ``create_server`` after a ``--check``) would get an app with no callbacks. So the first
call keeps a copy and every later call puts the missing entries back before the app starts.

These are private Dash names (dash 4.x): this module is the only place that touches them, and
``tests/integration/test_isolation.py`` checks that a second app gets the same callbacks and
scripts as the first. Filled once per process at start-up, never per request.
"""

from __future__ import annotations

_PAGE_CALLBACKS: dict[str, dict] = {}
_PAGE_CALLBACK_LIST: dict[str, dict] = {}
_PAGE_SCRIPTS: list[str] = []  # the inline JavaScript of clientside callbacks


def _copy(entry: dict) -> dict:
    """A copy Dash may mutate (it pops keys of "background" while setting an app up)."""
    return {**entry, "background": dict(entry["background"])} if entry.get("background") else dict(entry)


def share_page_callbacks() -> None:
    """Remember the callbacks registered so far and restore any that an earlier app consumed."""
    from dash import _callback

    _PAGE_CALLBACKS.update({k: _copy(v) for k, v in _callback.GLOBAL_CALLBACK_MAP.items()})
    _PAGE_CALLBACK_LIST.update({item["output"]: item for item in _callback.GLOBAL_CALLBACK_LIST})
    for key, entry in _PAGE_CALLBACKS.items():
        _callback.GLOBAL_CALLBACK_MAP.setdefault(key, _copy(entry))
    present = {item["output"] for item in _callback.GLOBAL_CALLBACK_LIST}
    _callback.GLOBAL_CALLBACK_LIST.extend(v for k, v in _PAGE_CALLBACK_LIST.items() if k not in present)
    scripts = _callback.GLOBAL_INLINE_SCRIPTS
    _PAGE_SCRIPTS.extend(js for js in scripts if js not in _PAGE_SCRIPTS)
    scripts.extend(js for js in _PAGE_SCRIPTS if js not in scripts)
