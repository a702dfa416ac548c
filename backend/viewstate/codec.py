"""View state in the query string: bookmarkable, shareable, and safe for any model id.

Lists of ids are joined with commas. An id that itself contains a comma (or a percent sign)
has those characters escaped *inside* the value before the whole value is URL-encoded, so
after the browser and Dash decode the query once, splitting on commas is still exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlencode


def encode_ids(ids: Iterable[str]) -> str:
    """'a,b%2Cc' for ['a', 'b,c'] (before the query string's own encoding)."""
    return ",".join(i.replace("%", "%25").replace(",", "%2C") for i in ids)


def decode_ids(value: str | list[str] | None) -> list[str]:
    """Inverse of ``encode_ids`` on the once-decoded query value; empty parts are dropped."""
    if value is None:
        return []
    if isinstance(value, list):  # a repeated key: Dash hands a list; take them all
        return [i for v in value for i in decode_ids(v)]
    return [unquote(part) for part in value.split(",") if part]


def first(value: str | list[str] | None) -> str | None:
    """The value of a key that should appear once (a repeated key keeps the first)."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def known_ids(ids: list[str], known: Mapping | set) -> tuple[list[str], list[str]]:
    """(ids that exist, in order without duplicates; unknown ids to report)."""
    kept = list(dict.fromkeys(i for i in ids if i in known))
    return kept, [i for i in ids if i not in known]


def build_query(params: Mapping[str, str | None]) -> str:
    """'?a=1&b=2' from the non-empty params, in the given order; '' when all are empty."""
    items = [(k, v) for k, v in params.items() if v not in (None, "")]
    return "?" + urlencode(items) if items else ""


def parse_detail_models(models: str | list[str] | None, base: str | list[str] | None, known: Mapping | set,
                        limit: int = 16) -> tuple[list[str], str | None, list[str]]:
    """Models of a detail page (base first, known ids, at most ``limit``), the base, dropped ids.

    Behaviors and Layers share this: an unknown base falls back to the first model so a stale
    bookmark still opens a view, and the dropped ids are reported rather than silently lost.
    """
    wanted = decode_ids(models)
    chosen, dropped = known_ids(wanted, known)
    chosen = chosen[:limit]
    base = first(base)
    if base not in chosen:
        base = chosen[0] if chosen else None
    if base is not None:
        chosen = [base] + [m for m in chosen if m != base]
    return chosen, base, dropped
