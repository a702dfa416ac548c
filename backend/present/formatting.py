"""A Python port of the d3-format mini-language used by the reference's specs (".2%", ".3~s").

Metric and parameter specs carry d3-format strings; the server formats tooltips, labels and
tables with the same rules the reference's browser code used, so values read the same.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

_SPEC = re.compile(
    r"^(?:(?P<fill>.)?(?P<align>[<>=^]))?(?P<sign>[-+( ])?(?P<symbol>[$#])?(?P<zero>0)?"
    r"(?P<width>\d+)?(?P<comma>,)?(?:\.(?P<precision>\d+))?(?P<trim>~)?(?P<type>[a-z%])?$",
    re.IGNORECASE,
)
_PREFIXES = ["y", "z", "a", "f", "p", "n", "µ", "m", "", "k", "M", "G", "T", "P", "E", "Z", "Y"]


def _trim(s: str) -> str:
    """Drop insignificant trailing zeros (the ``~`` flag)."""
    if "." not in s:
        return s
    mantissa, _, exp = s.partition("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return mantissa + ("e" + exp if exp else "")


def _si(value: float, precision: int) -> tuple[str, str]:
    """Significant-digit SI formatting: (digits, prefix)."""
    if value == 0:
        return f"{0:.{max(precision - 1, 0)}f}", ""
    exponent = max(-8, min(8, math.floor(math.log10(abs(value)) / 3)))
    scaled = value / 10 ** (exponent * 3)
    digits = f"{scaled:.{precision}g}"
    if "e" in digits or float(digits) >= 1000 and exponent < 8:  # rounding reached 1000
        exponent += 1
        digits = f"{value / 10 ** (exponent * 3):.{precision}g}"
    int_len = len(digits.split(".")[0].lstrip("-"))
    if "." not in digits and int_len < precision:
        digits += "." + "0" * (precision - int_len)
    elif "." in digits:
        digits = digits + "0" * (precision - int_len - len(digits.split(".")[1]))
    return digits, _PREFIXES[exponent + 8]


@lru_cache(maxsize=256)
def _parse(spec: str) -> dict[str, str | None]:
    match = _SPEC.match(spec)
    if not match:
        raise ValueError(f"invalid d3 format {spec!r}")
    return match.groupdict()


def spec_parts(spec: str) -> dict[str, str | None]:
    """The fields of a d3-format specifier (fill, align, ..., type); ValueError if it is not one.

    Public so the config checks refuse exactly the strings this module cannot parse.
    """
    return dict(_parse(spec))


def d3_format(spec: str | None, value: object) -> str:
    """Format ``value`` like d3.format(spec)(value); strings and None pass through as text.

    An invalid spec falls back to '.2g'-style output instead of failing a whole view.
    """
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    try:
        p = _parse(spec if spec is not None else ".2g")
    except ValueError:
        p = _parse(".2g")
    v = float(value)
    if math.isnan(v):
        return "NaN"
    kind = (p["type"] or "").lower() if p["type"] not in ("X",) else "X"
    precision = int(p["precision"]) if p["precision"] is not None else None
    trim = bool(p["trim"])
    suffix = ""
    negative = v < 0 or (v == 0 and math.copysign(1, v) < 0 and kind != "")
    a = abs(v)
    if math.isinf(a):
        body = "∞"
    elif kind == "%":
        body = f"{a * 100:.{6 if precision is None else precision}f}"
        suffix = "%"
    elif kind == "p":
        body, suffix = f"{a * 100:.{6 if precision is None else max(1, precision)}g}", "%"
    elif kind == "f":
        body = f"{a:.{6 if precision is None else precision}f}"
    elif kind == "e":
        body = f"{a:.{6 if precision is None else precision}e}"
    elif kind in ("g", "r"):
        body = f"{a:.{6 if precision is None else max(1, precision)}g}"
        if "e" not in body and kind == "g" and not trim:
            sig = 6 if precision is None else max(1, precision)
            digits = len(body.replace(".", "").lstrip("0"))
            if digits < sig:
                body += ("" if "." in body else ".") + "0" * (sig - digits)
    elif kind == "s":
        body, suffix = _si(a, 6 if precision is None else max(1, precision))
    elif kind == "d":
        body = str(round(a))
    elif kind in ("x", "X", "o", "b"):
        body = format(round(a), kind)
    elif kind == "c":
        return str(value)
    else:  # no type: like 'g' with trimmed zeros (d3's default "~g"-ish), 12 digits default
        body = f"{a:.{12 if precision is None else max(1, precision)}g}"
        trim = True
    body = re.sub(r"e([+-])0*(\d)", r"e\1\2", body)  # JS writes 1.8e+4, not 1.8e+04
    if trim and kind not in ("d", "x", "X", "o", "b"):
        body = _trim(body)
    if p["comma"] and not math.isinf(a):
        int_part, dot, frac = body.partition(".")
        body = f"{int(int_part):,}" + dot + frac if int_part.isdigit() else body
    if p["symbol"] == "$":
        body = "$" + body
    sign = "−" if negative and float(re.sub(r"[^0-9.]", "", body) or 0) != 0 else ""
    if not sign and p["sign"] == "+":
        sign = "+"
    elif not sign and p["sign"] == " ":
        sign = " "
    if p["sign"] == "(" and sign == "−":
        out = f"({body}{suffix})"
    else:
        out = f"{sign}{body}{suffix}"
    width = int(p["width"]) if p["width"] else 0
    if width and len(out) < width:
        if p["zero"]:
            out = sign + out[len(sign):].rjust(width - len(sign), "0")
        else:
            fill = p["fill"] or " "
            align = p["align"] or ">"
            pad = width - len(out)
            if align == "<":
                out = out + fill * pad
            elif align == "^":
                out = fill * (pad // 2) + out + fill * (pad - pad // 2)
            else:
                out = fill * pad + out
    return out


def format_metric(value: object, fmt: str | None, unit: str | None = None) -> str:
    """A metric value as the tooltip shows it: d3 format (default '.2g') then the unit."""
    text = d3_format(fmt or ".2g", value)
    return f"{text} {unit}" if unit and isinstance(value, int | float) else text


def format_change(value: float, parent: float) -> str | None:
    """Relative change vs the parent as '(+12.3%)', '(∞)' for a zero parent, None under 1 %."""
    if parent == 0:
        return "(∞)" if value != 0 else None
    rel = (value - parent) / abs(parent)
    if abs(rel) < 0.01:
        return None
    return f"({d3_format('+.1~%', rel)})"
