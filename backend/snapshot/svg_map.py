"""The Model Map as an inline SVG: the app's drawn nodes, edges and column headers, static.

Why SVG and not the Cytoscape canvas: the snapshot must open with no script at all and keep
each model's id as a native tooltip (``<title>``); positions, fills, diameters and borders
come from the same drawing the app gives Cytoscape, so the two maps match.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from backend.snapshot.fragments import Html, join, tag, text

SELECTED = "#60a5fa"  # the app's selection ring (components/overview/model_map.py STYLESHEET)
PAD = 24
# the app's review-flag rings (components/overview/model_map.py STYLESHEET, node.flag-*)
FLAG_COLORS = {"regression": "#dc2626", "needs-review": "#f59e0b", "approved": "#16a34a"}
FLAG_OTHER = "#6b7280"  # a config's own status: the app's plain ``node.flagged`` ring
FLAG_WIDTH, FLAG_OFFSET = 3, 2  # the app's outline-width and outline-offset


def flag_color(status: str) -> str:
    """The ring colour the app's map gives a model whose latest review status is ``status``."""
    slug = re.sub(r"[^a-z0-9]+", "-", status.lower()).strip("-")  # assets/cc_annotations.js's slug
    return FLAG_COLORS.get(slug, FLAG_OTHER)


@dataclass(frozen=True)
class MapNode:
    """One drawn model: centre, diameter, fill and border as the app draws it."""

    id: str
    x: float
    y: float
    size: float
    fill: str
    border: str
    selected: bool = False
    faded: bool = False  # filtered out by the view's filters or budgets
    front: bool = False  # on the shown Pareto front (drawn as a diamond, like the app)
    badge: str = ""  # "+N" on a collapsed node
    tooltip: str = ""  # extra lines under the id (operation parameters)
    flag: str = ""  # the model's latest review status: a coloured ring outside the border


@dataclass(frozen=True)
class MapEdge:
    """An edge from a base to a derived model, coloured from the base's fill to the child's."""

    source: str
    target: str
    width: float
    colors: tuple[str, str]


@dataclass(frozen=True)
class MapColumn:
    """A column header (operation or step) at its x."""

    label: str
    x: float
    y: float


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _edge(i: int, edge: MapEdge, where: dict[str, MapNode]) -> tuple[Html, Html]:
    """A rightward taxi path (the app's ``taxi-turn: 60%``) and its gradient."""
    a, b = where[edge.source], where[edge.target]
    turn = a.x + 0.6 * (b.x - a.x)
    gid = f"snap-e{i}"
    grad = Html(f'<linearGradient id="{gid}" gradientUnits="userSpaceOnUse" x1="{_num(a.x)}" y1="0" '
                f'x2="{_num(b.x)}" y2="0"><stop offset="0" stop-color="{text(edge.colors[0])}"/>'
                f'<stop offset="1" stop-color="{text(edge.colors[1])}"/></linearGradient>')
    faded = a.faded or b.faded
    path = Html(f'<path d="M{_num(a.x)},{_num(a.y)} H{_num(turn)} V{_num(b.y)} H{_num(b.x)}" fill="none" '
                f'stroke="url(#{gid})" stroke-width="{_num(edge.width)}" '
                f'opacity="{0.08 if faded else 0.8}"/>')
    return grad, path


def _shape(n: MapNode, ring: bool = False) -> Html:
    """The node's circle (a diamond on the front); ``ring``: its review-flag outline instead."""
    r = n.size / 2
    stroke = (SELECTED, 4) if n.selected else (n.border, 1)
    common = f'fill="{text(n.fill)}" stroke="{text(stroke[0])}" stroke-width="{stroke[1]}"'
    if ring:  # outside the (possibly 4 px selection) border, like Cytoscape's outline-offset
        r += stroke[1] / 2 + FLAG_OFFSET + FLAG_WIDTH / 2
        common = (f'fill="none" stroke="{text(flag_color(n.flag))}" stroke-width="{FLAG_WIDTH}" '
                  f'class="snap-flag" data-status="{text(n.flag)}"')
    if n.front:
        corners = ((n.x, n.y - r), (n.x + r, n.y), (n.x, n.y + r), (n.x - r, n.y))
        pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in corners)
        return Html(f'<polygon points="{pts}" {common}/>')
    return Html(f'<circle cx="{_num(n.x)}" cy="{_num(n.y)}" r="{_num(r)}" {common}/>')


def _node(n: MapNode) -> Html:
    lines = [n.id, *([f"review: {n.flag}"] if n.flag else []), *([n.tooltip] if n.tooltip else [])]
    parts = [tag("title", "\n".join(lines)), _shape(n)]
    if n.flag:
        parts.append(_shape(n, ring=True))
    if n.badge:
        parts.append(tag("text", n.badge, x=_num(n.x), y=_num(n.y + 4), class_="snap-badge"))
    if n.selected:
        parts.append(tag("text", n.id, x=_num(n.x), y=_num(n.y + n.size / 2 + 22), class_="snap-label"))
    cls = "snap-node" + (" snap-selected" if n.selected else "") + (" snap-faded" if n.faded else "")
    return tag("g", join(parts), class_=cls, data_model=n.id, opacity="0.1" if n.faded else None)


HEAD_CHAR = 8.5  # px per character of a 15 px header, for the viewBox


def map_svg(nodes: Sequence[MapNode], edges: Sequence[MapEdge], columns: Sequence[MapColumn]) -> Html:
    """The whole map; its viewBox fits every node, label and header."""
    if not nodes:
        return Html('<p class="cc-hint">No models drawn.</p>')
    where = {n.id: n for n in nodes}
    # headers are turned −45° as on the app's zoomed-out map: long operation names never overlap
    reach = {c.label: HEAD_CHAR * len(c.label) * 0.7072 for c in columns}
    xs = [n.x - n.size / 2 for n in nodes] + [c.x - 10 for c in columns]
    xe = [n.x + n.size / 2 for n in nodes] + [c.x + reach[c.label] + 10 for c in columns]
    ys = [n.y - n.size / 2 for n in nodes] + [c.y - reach[c.label] - 20 for c in columns]
    ye = [n.y + n.size / 2 + (28 if n.selected else 0) for n in nodes]
    x0, y0 = min(xs) - PAD, min(ys) - PAD
    w, h = max(xe) + PAD - x0, max(ye) + PAD - y0
    drawn = [(i, e) for i, e in enumerate(edges) if e.source in where and e.target in where]
    pairs = [_edge(i, e, where) for i, e in drawn]
    heads = [tag("text", c.label, x=_num(c.x), y=_num(c.y), class_="snap-colhead",
                 transform=f"rotate(-45 {_num(c.x)} {_num(c.y)})") for c in columns]
    order = sorted(nodes, key=lambda n: n.selected)  # selected rings on top
    body = join([
        Html("<defs>" + "".join(g for g, _ in pairs) + "</defs>"),
        tag("g", join(p for _, p in pairs), class_="snap-edges"),
        tag("g", join(heads), class_="snap-colheads"),
        tag("g", join(_node(n) for n in order), class_="snap-nodes"),
    ])
    return tag("svg", body, class_="snap-map", role="img",
               viewBox=f"{_num(x0)} {_num(y0)} {_num(w)} {_num(h)}", width=_num(w), height=_num(h),
               aria_label=f"Model map of {len(nodes)} models")
