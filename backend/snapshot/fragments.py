"""Trusted HTML fragments: the only way text enters a snapshot is through :func:`text`.

Why a str subclass: a snapshot shows model ids, notes and names that may hold ``<script>``;
marking escaped output with a type lets every builder take ``Html`` and escape anything else,
so nothing reaches the file unescaped by accident.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

VOID = frozenset({"img", "br", "hr"})  # elements without a closing tag


class Html(str):
    """A fragment of HTML that is already safe (escaped or built from escaped parts)."""

    __slots__ = ()


def text(value: object) -> Html:
    """Any value as escaped HTML text (quotes too, so it is safe inside an attribute)."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[object], sep: str = "") -> Html:
    """Fragments joined; plain strings among them are escaped."""
    return Html(sep.join(text(p) for p in parts))


def tag(name: str, body: object = "", **attrs: object) -> Html:
    """``<name attr="...">body</name>``; attribute values are escaped, ``class_`` is ``class``."""
    rendered = "".join(f' {k.rstrip("_").replace("_", "-")}="{text(v)}"'
                       for k, v in attrs.items() if v is not None and v is not False)
    if name in VOID:
        return Html(f"<{name}{rendered}>")
    return Html(f"<{name}{rendered}>{text(body)}</{name}>")


def figure_slot(index: int, height: int | None = None) -> Html:
    """Where figure ``index`` of the snapshot is drawn (plotly.js fills it on open)."""
    style = f"height:{int(height)}px" if height else None
    return tag("div", "", class_="snap-fig", data_fig=str(int(index)), style=style)


def table(head: Iterable[object], rows: Iterable[Iterable[object]], class_: str = "cc-table") -> Html:
    """A plain table; each cell is text or an ``Html`` fragment."""
    thead = tag("thead", tag("tr", join(tag("th", h) for h in head)))
    tbody = tag("tbody", join(tag("tr", join(tag("td", c) for c in row)) for row in rows))
    return tag("table", Html(thead + tbody), class_=class_)
