"""The one escaping scheme and the one notice format of every page's query string.

Why one scheme: view state packs several values into one query value (``sel=a,b``,
``brush=model:lo:hi;...``, ``refine=0:x|y``). A model id, metric name or chip value may itself
contain any of the separators, so before the query string's own URL encoding each *token* has
the five reserved characters ``% , ; : |`` written as ``%25 %2C %3B %3A %7C``; splitting the
once-decoded value on a separator is then exact, and :func:`unescape` undoes only those five
(a ``%41`` the escaper never writes stays literal text). Earlier bookmarks used subsets of the
same five escapes, so they still decode.

Why one notice format: a stale or hand-edited bookmark never raises; each part that had to be
ignored becomes one line, ``Ignored in the URL: ...``, and unknown model ids one line,
``Unknown model ids in the URL were dropped: ...``, on every page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import parse_qs, urlencode

RESERVED = (("%", "%25"), (",", "%2C"), (";", "%3B"), (":", "%3A"), ("|", "%7C"))
_UNESCAPE = {esc: raw for raw, esc in RESERVED}

IGNORED = "Ignored in the URL: "
UNKNOWN_IDS = "Unknown model ids in the URL were dropped: "


# --- tokens ------------------------------------------------------------------------------------
def escape(text: str) -> str:
    """A token with the five separators escaped ("%" first, so escapes are never escaped twice)."""
    for raw, esc in RESERVED:
        text = text.replace(raw, esc)
    return text


def unescape(text: str) -> str:
    """Inverse of :func:`escape`: undoes exactly its five escapes (case-insensitive), nothing else."""
    if "%" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        raw = _UNESCAPE.get(text[i:i + 3].upper()) if text[i] == "%" else None
        if raw is not None:
            out.append(raw)
            i += 3
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def split(value: str, sep: str) -> list[str]:
    """The escaped tokens of ``value`` between separators, unescaped; empty parts dropped."""
    return [unescape(part) for part in value.split(sep) if part]


def encode_ids(ids: Iterable[str]) -> str:
    """'a,b%2Cc' for ['a', 'b,c'] (before the query string's own encoding)."""
    return ",".join(escape(i) for i in ids)


def decode_ids(value: str | list[str] | None) -> list[str]:
    """Inverse of :func:`encode_ids` on the once-decoded query value; empty parts are dropped."""
    if value is None:
        return []
    if isinstance(value, list):  # a repeated key: Dash hands a list; take them all
        return [i for v in value for i in decode_ids(v)]
    return split(value, ",")


def parse_search(search: str | None) -> dict[str, str | list[str]]:
    """A location's search ('?a=1&b=2') decoded as Dash hands a page's layout its query."""
    parsed = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


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
    # surrogatepass: a lone surrogate (only a hand-made request sends one) is written, not raised
    return "?" + urlencode(items, errors="surrogatepass") if items else ""


def number(value: float) -> str:
    """A float as view state writes it (6 significant digits, like every range and budget)."""
    return f"{value:.6g}"


def bounds(lo: float, hi: float) -> tuple[str, str]:
    """A range's ends at 6 significant digits, rounded outward so a bookmark keeps every model.

    Why: a brush that ends at a metric's maximum (11.124405) written to nearest ('11.1244')
    would drop the model at that end after a reload.
    """
    return _outward(lo, up=False), _outward(hi, up=True)


def _outward(value: float, up: bool) -> str:
    text = number(value)
    if not math.isfinite(value) or (float(text) >= value if up else float(text) <= value):
        return text
    step = 10.0 ** (math.floor(math.log10(abs(value))) - 5)
    return number(float(text) + (step if up else -step))


SORT_DIRECTIONS = ("desc", "asc")


def sort_text(sort: tuple[str, str] | None) -> str | None:
    """'model:desc' with the model token escaped (a model id may contain ':'); None for no sort."""
    return f"{escape(sort[0])}:{sort[1]}" if sort else None


def parse_sort(value: str | None, models: Sequence[str]) -> tuple[str, str] | None:
    """Inverse of :func:`sort_text` when the model is compared and the direction known, else None.

    The last ':' splits, so a hand-typed id with raw colons still works.
    """
    if not value:
        return None
    model, _, direction = value.rpartition(":")
    model = unescape(model)
    return (model, direction) if model in models and direction in SORT_DIRECTIONS else None


# --- notices -----------------------------------------------------------------------------------
MAX_FLAG = 64  # the longest status a review note may carry (backend.annotations.records.MAX_STATUS)


def parse_flags(value: str | list[str] | None, problems: list[str]) -> tuple[str, ...]:
    """``flag=regression,needs review`` (the Overview and Behaviors alike): review statuses, each
    once; one longer than any status is dropped with a problem."""
    out: list[str] = []
    for status in decode_ids(value):
        if len(status) > MAX_FLAG:
            problems.append(f"flag '{status[:80]}' is longer than {MAX_FLAG} characters")
        elif status not in out:
            out.append(status)
    return tuple(out)


def ignored(problem: str) -> str:
    """The notice for one part of the URL that had to be ignored."""
    return IGNORED + problem


def unknown_ids(ids: Sequence[str], shown: int = 5) -> str:
    """The notice for unknown model ids: the first ``shown`` by name, then a count."""
    more = len(ids) - shown
    return UNKNOWN_IDS + ", ".join(ids[:shown]) + (f" and {more} more" if more > 0 else "")
