"""Data types and JavaScript-compatible value helpers for the comparability engine.

The reference runs in the browser, so its equality is JavaScript ``===`` and its strings are
JavaScript template strings. Python differs (``True == 1``, ``str(1.0) == "1.0"``), so every
comparison here goes through :func:`value_key` and every string through :func:`js_str`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

KINDS = ("parameter", "presence", "operation", "sequence")
#: The reference's type codes, which are also the search cost of a variable (spec §3.1).
COSTS = {"parameter": 1, "presence": 2, "operation": 5, "sequence": 6}
#: The value of a parameter/operation variable for models that lack the operation.
ABSENT = "None"


@dataclass(frozen=True)
class Variable:
    """One way the compared models differ (a column of a :class:`ComparisonTable`).

    ``kind`` is ``"parameter"``, ``"presence"``, ``"operation"`` or ``"sequence"`` (a merge of
    several variables). ``label`` is the display title. Unlike the reference, operation
    variables are labelled "Operation" and merged variables get a readable label such as
    "Prune → Quantize" (the reference leaves both blank). Equality only looks at kind and label.
    """

    kind: str
    label: str
    #: Raw operation name for parameter/presence variables (for display such as "no Prune").
    operation: str | None = field(default=None, compare=False)
    #: True when the reference's absent marker here was lower-case "none" (spec §3.3 quirk),
    #: shown as "None" by us; the simplifier needs it to reproduce the reference exactly.
    ref_lower_none: bool = field(default=False, compare=False, repr=False)
    #: For merged variables: reference value string -> readable value string.
    display: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    @property
    def cost(self) -> int:
        """The reference's cost (= type code) of this variable."""
        return COSTS[self.kind]


@dataclass(frozen=True)
class ComparisonTable:
    """Rows of ``(model id, values)`` over ``variables``; see spec §3.1 ``ModelTable``.

    ``orderings`` maps a variable index to the order its values should be shown in (set for
    cumulative merges, e.g. ``["None", "Prune", "Quantize"]``); it applies to the x axis as well
    as to the colour domain, which fixes the reference's alphabetical x axis.

    ``needs_refinement`` is true while more than two variables remain: on a simplified table it
    means "these models cannot be directly compared" and the refinement menu should open; on a
    raw table it means the refinement menu is offered (spec §1.7).
    """

    variables: list[Variable]
    rows: list[tuple[str, tuple]]
    orderings: dict[int, list] = field(default_factory=dict)
    #: Search cost of the chosen full table (before constants were dropped); debug aid only.
    cost: int = field(default=0, compare=False)

    @property
    def needs_refinement(self) -> bool:
        """True when more than two variables remain (no chart can show them all)."""
        return len(self.variables) > 2

    @property
    def ids(self) -> list[str]:
        """Model ids in table order."""
        return [mid for mid, _ in self.rows]

    def column(self, index: int) -> list:
        """Every row's value of variable ``index``."""
        return [vals[index] for _, vals in self.rows]

    def distinct_values(self, index: int) -> list:
        """Distinct values of variable ``index`` in first-seen order (JavaScript equality)."""
        return distinct(self.column(index))


def value_key(v: Any) -> tuple:
    """A hashable key with JavaScript ``===`` semantics: ``True`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, (int, float)):
        return ("n", v)
    if isinstance(v, str):
        return ("s", v)
    if v is None:
        return ("z",)
    try:
        hash(v)
    except TypeError:
        return ("o", repr(v))
    return ("o", v)


def distinct(values: list) -> list:
    """Distinct values in first-seen order under :func:`value_key` equality."""
    seen: set = set()
    out = []
    for v in values:
        k = value_key(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


def _js_number(x: float) -> str:
    """ECMAScript Number::toString: shortest round-trip digits, exponent only past 1e21/1e-7."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    _, digits_t, exp = Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(map(str, digits_t))
    k = len(digits)
    n = exp + k  # value = 0.digits * 10^n
    if k <= n <= 21:
        s = digits + "0" * (n - k)
    elif 0 < n <= 21:
        s = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mant = digits if k == 1 else digits[0] + "." + digits[1:]
        s = f"{mant}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + s


def js_str(v: Any) -> str:
    """``${v}`` in JavaScript: ``1`` not ``1.0``, ``true``/``false``, ``null``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _js_number(v)
    if isinstance(v, str):
        return v
    if v is None:
        return "null"
    if isinstance(v, (list, tuple)):
        return ",".join("" if x is None else js_str(x) for x in v)
    if isinstance(v, dict):
        return "[object Object]"
    return str(v)
