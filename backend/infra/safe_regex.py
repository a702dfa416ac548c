"""User-typed regular expressions that can never hang a worker.

The Layers page filters module names with a pattern typed in the browser. Python's ``re`` has
no time limit, so ``(a|aa)+$`` on a long name would block the request; the third-party
``regex`` module accepts ``timeout=`` on every search, and a length cap plus a cap on counted
repeats keeps compilation itself fast. Matching is case-insensitive, as in the reference.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

import regex

MAX_LENGTH = 200
MAX_REPEAT_PRODUCT = 50_000  # (?:a{1000}){1000} takes a second just to compile
DEFAULT_BUDGET_S = 0.25
INVALID = "Invalid regular expression: {}"
TOO_SLOW = "Pattern took too long; simplify it"
_COUNTED = re.compile(r"(?<!\\)\{(\d+)(?:,(\d*))?\}")


class PatternError(ValueError):
    """A pattern that is invalid or too slow; the message is the one line the page shows."""


def compile_pattern(text: str | None) -> regex.Pattern | None:
    """The compiled pattern (case-insensitive), None for an empty one, or PatternError."""
    if text is None or text == "":
        return None
    if len(text) > MAX_LENGTH:
        raise PatternError(INVALID.format(f"longer than {MAX_LENGTH} characters"))
    product = 1
    for low, high in _COUNTED.findall(text):
        product *= max(1, int(high or low))
        if product > MAX_REPEAT_PRODUCT:
            raise PatternError(INVALID.format("repeat counts are too large"))
    try:
        return regex.compile(text, regex.IGNORECASE | regex.VERSION0)
    except (regex.error, OverflowError, RecursionError, ValueError) as exc:
        raise PatternError(INVALID.format(str(exc) or type(exc).__name__)) from None
    except KeyError:  # regex's own lookup fails when an inline (?V1) meets our VERSION0 flag
        raise PatternError(INVALID.format("(?V0)/(?V1) version flags are not supported")) from None


def match_mask(pattern: regex.Pattern | None, names: Sequence[str],
               budget_s: float = DEFAULT_BUDGET_S) -> list[bool]:
    """Which names the pattern finds (``search``), within a total time budget for all names.

    Raises PatternError(TOO_SLOW) when the budget runs out, so a catastrophic pattern costs
    at most ``budget_s`` of one worker, never a hang.
    """
    if pattern is None:
        return [True] * len(names)
    deadline = time.monotonic() + budget_s
    out = []
    for name in names:
        left = deadline - time.monotonic()
        if left <= 0:
            raise PatternError(TOO_SLOW)
        try:
            out.append(pattern.search(name, timeout=left) is not None)
        except TimeoutError:
            raise PatternError(TOO_SLOW) from None
    return out
