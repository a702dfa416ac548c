"""JavaScript comparison semantics the reference's layout sort relies on (`<`, `==`, UTF-16 order).

Kept apart from the layout so the rules that make our rows equal the reference's are in one place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

UNDEFINED = object()
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|Infinity)")


def get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def js_number(v: Any) -> float:
    """JavaScript ``Number(v)`` for scalars (null is 0, undefined and junk are NaN)."""
    if v is None or isinstance(v, (bool, int, float)):
        return float(v or 0)
    if not isinstance(v, str):
        return math.nan
    s = v.strip()
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", s):
        return float(int(s, 16))
    return float(s or 0) if not s or _NUMBER.fullmatch(s) else math.nan


def js_order(a: Any, b: Any) -> int:
    """0 when JavaScript ``a == b``, else -1 when ``a < b`` holds and 1 when it does not."""
    ta, tb = type(a), type(b)
    if ta in (int, float) and tb in (int, float):
        return 0 if a == b else (-1 if a < b else 1)
    if ta is str and tb is str:
        if a == b:
            return 0
        return -1 if (a < b if a.isascii() and b.isascii() else utf16(a) < utf16(b)) else 1
    nullish = (None, UNDEFINED)
    if (a in nullish) != (b in nullish):
        pass  # null == only null or undefined
    elif a in nullish or js_number(a) == js_number(b):
        return 0
    return -1 if js_number(a) < js_number(b) else 1


def utf16(s: str | None) -> bytes:
    return (s or "").encode("utf-16-be")
