"""The Compare tab's refinement (spec §1.8) as one URL-safe, human-readable string.

Format: ``<index>:<value>|<value>;<index>:<value>``, for example ``0:0.5|0.75;2:true``.

* ``index`` is the position of a variable in the **raw** experiment table of the selection (the
  table the refinement menu shows). The raw table is a deterministic function of the selection,
  and indices stay unambiguous where labels are not (the reference can produce two "Prune"
  columns).
* each value is the chip's display string, ``format_value(value)`` (``true``, ``0.5``,
  ``magnitude prune 0.75``), so a bookmark reads like the menu; each value is a token of the
  codec's one escaping scheme (``backend.viewstate.codec.escape``: ``%``, ``,``, ``;``, ``:`` and
  ``|`` become ``%25``, ``%2C``, ``%3B``, ``%3A`` and ``%7C``), so no value can break a separator;
* variables come in index order; a variable with no allowed value is left out (an empty list
  lets everything through), so the empty refinement is ``""``.

The query string's own URL encoding is applied on top by ``urlencode`` and undone by Dash, so
this string round-trips through a bookmark. Decoding is lenient: a hand-edited or stale string
never raises, malformed parts are dropped, and :func:`resolve` ignores indices and values the
current table does not have.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from backend.comparability import ComparisonTable, format_value
from backend.viewstate.codec import escape, unescape

Refinement = dict[int, list[str]]


def encode_refinement(allowed: Mapping[int, Sequence[str]]) -> str:
    """The URL string of ``{variable index: [display strings]}``; ``""`` when nothing is allowed."""
    parts = []
    for index in sorted(int(i) for i in allowed):
        values = list(dict.fromkeys(allowed.get(index, allowed.get(str(index), ())) or ()))
        if index < 0 or not values:
            continue
        parts.append(f"{index}:" + "|".join(escape(v) for v in values))
    return ";".join(parts)


def _is_index(text: str) -> bool:
    """Whether int() reads it: ``isdigit`` also accepts '²', and int() refuses 4,300+ digits."""
    text = text.strip()
    return text.isdecimal() and len(text) <= 18


def decode_refinement(text: str | None) -> Refinement:
    """Inverse of :func:`encode_refinement`; malformed parts are ignored, never raised."""
    out: Refinement = {}
    for part in (text or "").split(";"):
        index, sep, body = part.partition(":")
        if not sep or not _is_index(index):
            continue
        values = out.setdefault(int(index), [])
        for value in (unescape(v) for v in body.split("|")):
            if value not in values:
                values.append(value)
    return out


def malformed_parts(text: str | None) -> list[str]:
    """The parts :func:`decode_refinement` drops, so the page can say what it ignored."""
    bad = []
    for part in (text or "").split(";"):
        index, sep, _ = part.partition(":")
        if part.strip() and (not sep or not _is_index(index)):
            bad.append(part)
    return bad


def toggle(text: str | None, index: int, value: str) -> str:
    """The refinement string after clicking the chip ``value`` of variable ``index``."""
    allowed = decode_refinement(text)
    values = allowed.setdefault(int(index), [])
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    return encode_refinement(allowed)


def resolve(table: ComparisonTable, allowed: Mapping[int, Sequence[str]]) -> dict[int, list[Any]]:
    """The engine's ``allowed`` for ``refine``: display strings back to the table's values.

    Indices outside the table and strings matching no value are dropped (a stale bookmark then
    refines less instead of failing). A string matches every value displayed that way.
    """
    out: dict[int, list[Any]] = {}
    for index, wanted in allowed.items():
        index = int(index)
        if not 0 <= index < len(table.variables):
            continue
        names = set(wanted)
        values = [v for v in table.distinct_values(index) if format_value(v) in names]
        if values:
            out[index] = values
    return out


def canonical(table: ComparisonTable, text: str | None) -> str:
    """The string restricted to what ``table`` has: ``""`` when the refinement has no effect."""
    resolved = resolve(table, decode_refinement(text))
    return encode_refinement({i: [format_value(v) for v in vals] for i, vals in resolved.items()})
