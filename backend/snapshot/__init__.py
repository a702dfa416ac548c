"""Server-less snapshots: one self-contained HTML file of a view, readable offline from file://.

Why a package of its own: the file is assembled from plain data (escaped HTML fragments,
Plotly figure dicts, the map's drawn nodes), so it is built and tested without Dash; the
gathering of a page's content lives beside the pages (``pages/_snapshot.py``).
"""

from __future__ import annotations

from backend.snapshot.document import Section, Snapshot, SnapshotError, render
from backend.snapshot.fragments import Html, figure_slot, join, table, tag, text
from backend.snapshot.notes import MAX_NOTES, notes_section
from backend.snapshot.svg_map import MapColumn, MapEdge, MapNode, flag_color, map_svg

__all__ = ["MAX_NOTES", "Html", "MapColumn", "MapEdge", "MapNode", "Section", "Snapshot", "SnapshotError",
           "figure_slot", "flag_color", "join", "map_svg", "notes_section", "render", "table", "tag", "text"]
