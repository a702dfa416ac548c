"""Seeded mutation of fuzz inputs: many cheap variants of each input Hypothesis draws.

Why: Hypothesis spends milliseconds drawing one structured input and microseconds is what most
parsers take, so the benchmark's 100,000 inputs come mostly from mutating drawn ones (insert,
delete, replace or repeat a piece of a string; change a number; drop, copy or add an item).
A mutant keeps its input's shape and types: a query stays a mapping of strings, a config case
keeps its formats, and the positions a target marks fixed (which forest, a limit) stay as drawn.
"""

from __future__ import annotations

import dataclasses
import math
import random
from typing import Any

from tests.fuzz.corpus import IDS, METRICS, NUMBERS, SEPARATORS, WORDS

PIECES = SEPARATORS + NUMBERS[:-3] + WORDS + IDS + METRICS + [
    "!!int ", "!!bool ", "!!timestamp ", "&a ", "*a", "<<: ", "- ", ": ", "\n  ", "{", "}", "[", "]",
    "(?V1)", "(a+)+$", "\\", "(", ")", "{1000}", "|", "²", "٣", "2020-13-45", "9" * 5000,
]
EDGE_NUMBERS = [0, -1, 1, 2**31, 2**63, -(2**63), 10**30, 0.5, -0.0, 1e308, -1e308, 5e-324, math.inf,
                -math.inf, math.nan]
_SKIPPED_FIELDS = ("config_format", "models_format", "suffix")


def mutate(value: Any, rng: random.Random, cap: int = 60_000, fixed: tuple[int, ...] = ()) -> Any:
    """A variant of ``value`` of the same shape; ``fixed`` positions of a top-level tuple are kept."""
    if isinstance(value, tuple) and value:
        free = [i for i in range(len(value)) if i not in fixed]
        if not free:
            return value
        at = rng.choice(free)
        return value[:at] + (_mutate(value[at], rng, cap),) + value[at + 1:]
    return _mutate(value, rng, cap)


def _mutate(value: Any, rng: random.Random, cap: int) -> Any:
    if isinstance(value, str):
        return mutate_text(value, rng, cap)
    if isinstance(value, bytes):
        return mutate_text(value.decode("latin-1"), rng, cap, binary=True).encode("latin-1")
    if value is None or isinstance(value, bool):  # types stay: a None means "absent" to the target
        return value if value is None else not value
    if isinstance(value, int | float):
        return rng.choice(EDGE_NUMBERS) if rng.random() < 0.7 else value * rng.choice([-1, 10, 1e-3])
    if isinstance(value, tuple):
        return mutate(value, rng, cap)
    if isinstance(value, list):
        return _mutate_list(value, rng, cap)
    if isinstance(value, dict):
        return _mutate_dict(value, rng, cap)
    if dataclasses.is_dataclass(value):
        names = [f.name for f in dataclasses.fields(value) if f.name not in _SKIPPED_FIELDS]
        name = rng.choice(names)
        return dataclasses.replace(value, **{name: _mutate(getattr(value, name), rng, cap)})
    return value


def _mutate_list(value: list, rng: random.Random, cap: int) -> list:
    out = list(value)
    op = rng.randrange(4) if out else 3
    if op == 0:
        at = rng.randrange(len(out))
        out[at] = _mutate(out[at], rng, cap)
    elif op == 1:
        del out[rng.randrange(len(out))]
    elif op == 2:
        out.insert(rng.randrange(len(out) + 1), rng.choice(out))
    else:
        out.append(rng.choice(PIECES))
    return out


def _mutate_dict(value: dict, rng: random.Random, cap: int) -> dict:
    out = dict(value)
    keys = list(out)
    op = rng.randrange(4) if keys else 3
    if op == 0:
        key = rng.choice(keys)
        out[key] = _mutate(out[key], rng, cap)
    elif op == 1:
        del out[rng.choice(keys)]
    elif op == 2:
        key = rng.choice(keys)
        new = mutate_text(key, rng, cap) if isinstance(key, str) else key
        out[new] = out.pop(key)
    else:
        out[rng.choice(PIECES)] = rng.choice([rng.choice(PIECES), *out.values()] if out else PIECES)
    return out


def mutate_text(text: str, rng: random.Random, cap: int = 60_000, binary: bool = False) -> str:
    """One to three edits: insert, delete, replace or repeat (up to ``cap`` characters in all)."""
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(text))
        end = min(len(text), at + rng.randint(0, 8))
        piece = _byte_piece(rng) if binary else rng.choice(PIECES)
        op = rng.randrange(5)
        if op == 0:
            text = text[:at] + piece + text[at:]
        elif op == 1:
            text = text[:at] + text[end:]
        elif op == 2:
            text = text[:at] + piece + text[end:]
        elif op == 3:  # a run: what makes a quadratic parser show
            chunk = text[at:end] or piece
            times = rng.randint(10, max(10, (cap - len(text)) // max(1, len(chunk))))
            text = text[:at] + chunk * min(times, 3000) + text[end:]
        else:
            text = text[:at] + text[end:] + text[at:end]  # a slice moved to the end
        if len(text) > cap:
            text = text[:cap]
    return text


def _byte_piece(rng: random.Random) -> str:
    """A piece as latin-1 text of its UTF-8 bytes, or raw bytes (invalid UTF-8 included)."""
    if rng.random() < 0.3:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 4))).decode("latin-1")
    return rng.choice(PIECES).encode("utf-8", "surrogatepass").decode("latin-1")
