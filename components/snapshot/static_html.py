"""The app's own Dash builders as static HTML, for the snapshot.

Why render the builders instead of re-writing them: the Compare tab, the comparison table and
the Layers table then read exactly as in the app (derived columns included) with one source of
truth. Only ``dash.html`` elements become tags; a ``dcc.Graph`` becomes a figure slot (its
figure is kept for plotly.js); buttons become inert labels; other interactive components
(stores, downloads, dropdowns, grids) are left out. Every text and attribute is escaped, ids
and event props are dropped, and a ``src`` must be a ``data:image/`` URI, so nothing is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from backend.snapshot import Html, figure_slot, join, text
from components.shared.data_table import ATTRIBUTE, as_components

_ATTRS = {"className": "class", "title": "title", "colSpan": "colspan", "rowSpan": "rowspan",
          "alt": "alt", "open": "open"}
_VOID = {"img", "br", "hr"}
_AS_SPAN = {"button", "a", "label"}  # links to the app and buttons mean nothing in a file
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _style(style: dict | None) -> str | None:
    """A style dict as CSS; values that could load something (url()) are dropped."""
    if not style:
        return None
    parts = [f"{_CAMEL.sub('-', str(k)).lower()}:{v}" for k, v in style.items()
             if v is not None and "url(" not in str(v).lower()]
    return ";".join(parts) or None


def _attrs(component: Any, tag: str) -> str:
    out = []
    for prop, name in _ATTRS.items():
        value = getattr(component, prop, None)
        if value is None or value is False:
            continue
        out.append(f' {name}' if value is True else f' {name}="{text(value)}"')
    style = _style(getattr(component, "style", None))
    if style:
        out.append(f' style="{text(style)}"')
    src = getattr(component, "src", None)
    if tag == "img" and isinstance(src, str) and src.startswith("data:image/"):
        out.append(f' src="{text(src)}"')
    return "".join(out)


def to_html(node: Any, figures: list[dict], skip: Collection[str] = ()) -> Html:
    """``node`` (a component, a list, text) as HTML; each graph's figure is appended to ``figures``.

    ``skip``: string ids of components to leave out (e.g. a "Download CSV" button).
    """
    if node is None or node is False:
        return Html("")
    if isinstance(node, list | tuple):
        return join(to_html(n, figures, skip) for n in node)
    if isinstance(node, str | int | float):
        return text(node)
    namespace = getattr(node, "_namespace", "")
    node_id = getattr(node, "id", None)
    if (isinstance(node_id, str) and node_id in skip) or getattr(node, "hidden", None) is True:
        return Html("")
    if namespace == "dash_core_components" and type(node).__name__ == "Graph":
        figure = getattr(node, "figure", None)
        if not figure:
            return Html("")
        figures.append(figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else figure)
        height = (figure.get("layout") or {}).get("height") if isinstance(figure, dict) else None
        return figure_slot(len(figures) - 1, height)
    if namespace != "dash_html_components":
        return Html("")  # stores, downloads, dropdowns, grids: nothing static to show
    if getattr(node, ATTRIBUTE, None) is not None:  # a table the app builds in the browser
        return to_html(as_components(node), figures, skip)
    tag = type(node).__name__.lower()
    children = to_html(getattr(node, "children", None), figures, skip)
    if tag in _AS_SPAN:
        cls = text(getattr(node, "className", None) or "")
        return Html(f'<span class="{cls} snap-inert">{children}</span>')
    if tag in _VOID:
        return Html(f"<{tag}{_attrs(node, tag)}>")
    return Html(f"<{tag}{_attrs(node, tag)}>{children}</{tag}>")
