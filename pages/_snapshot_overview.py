"""The Overview's snapshot: header facts, the map as SVG, the scatterplot, the Compare tab, the notes.

Why here: it reuses the page's own first view (``pages._overview_outputs.first_view``: the
filtered models, the front, the scatter figure, the Compare tab's builders) and the map's
drawing (``components.overview.model_map.map_drawing``), so the snapshot shows what the page
shows for the same URL; the review flags and notes come through the app's own store
(``pages._annotation_data``); ``backend.snapshot`` only assembles the file.
"""

from __future__ import annotations

from collections.abc import Mapping

from backend.experiment.forest import ExperimentForest
from backend.overview.collapse import auto_collapse
from backend.present.formatting import d3_format
from backend.snapshot import MapColumn, MapEdge, MapNode, Section, figure_slot, map_svg, notes_section
from backend.viewstate.overview import OverviewView, parse
from components.overview.compare_tab import DOWNLOAD_BUTTON
from components.overview.details import details
from components.overview.model_map import map_drawing
from components.snapshot.static_html import to_html
from pages._annotation_data import snapshot_notes
from pages._overview_outputs import first_view

SCATTER_HEIGHT = 420


def _value(forest: ExperimentForest, metric: str, value: float) -> str:
    spec = forest.metric(metric)
    return d3_format(spec.format if spec else None, value)


def facts(forest: ExperimentForest, view: OverviewView) -> list[tuple[str, str]]:
    """The header's lines: selection, filters and budgets, front, encodings."""
    filters = [f"{f.metric} in [{_value(forest, f.metric, f.lo)}, {_value(forest, f.metric, f.hi)}]"
               for f in view.filters]
    filters += [f"{b.metric} {b.op} {_value(forest, b.metric, b.value)}" for b in view.budgets]
    out = [("Selection", ", ".join(view.selection) or "none"),
           ("Filters", "; ".join(filters) or "none")]
    if view.pareto is not None:
        p = view.pareto
        out.append(("Pareto front", f"{p.a} ({'max' if p.max_a else 'min'}), "
                                    f"{p.b} ({'max' if p.max_b else 'min'})"))
    out.append(("Encodings", f"colour {view.color or 'none'}, size {view.size or 'none'}, "
                             f"scatter {view.x or 'none'} × {view.y or 'none'}, "
                             f"arranged by {'step' if view.arrange == 'step' else 'operation'}"))
    out.append(("Models", f"{len(forest)} in the experiment"))
    return out


def map_parts(elements: list[dict], selection: set[str], passing: list[str] | None,
              front: list[str], flags: Mapping[str, str] | None = None,
              ) -> tuple[list[MapNode], list[MapEdge], list[MapColumn]]:
    """The Cytoscape elements the app draws, as the SVG map's plain parts; ``flags``: each
    model's latest review status (its ring)."""
    flags = flags or {}
    keep = None if passing is None else set(passing)
    on_front = set(front)
    nodes, edges, columns = [], [], []
    for el in elements:
        data, pos = el["data"], el.get("position") or {}
        if el.get("classes") == "colhead":
            columns.append(MapColumn(str(data["label"]), pos["x"], pos["y"]))
        elif "source" in data:
            a, _, b = data["grad"].partition(" ")
            edges.append(MapEdge(data["source"], data["target"], float(data["w"]), (a, b or a)))
        else:
            mid = data["id"]
            nodes.append(MapNode(mid, pos["x"], pos["y"], float(data["size"]), data["color"], data["border"],
                                 selected=mid in selection, faded=keep is not None and mid not in keep,
                                 front=mid in on_front, badge=data.get("badge", ""),
                                 tooltip=data.get("params", ""), flag=flags.get(mid, "")))
    return nodes, edges, columns


def overview_snapshot(forest: ExperimentForest, query: Mapping[str, str | list[str]],
                      figures: list[dict]) -> tuple[list[tuple[str, str]], list[str], list[Section]]:
    """(header facts, notices, sections) of the Overview for a URL's query."""
    view, notices = parse(query, forest)
    if not len(forest):
        return [], notices, [Section("Overview", to_html("This experiment has no models yet.", figures))]
    collapsed = auto_collapse(forest)
    first = first_view(forest, view)
    view = first.view
    elements = map_drawing(forest, view.color, view.size, view.arrange, collapsed)
    flags, notes, problem = snapshot_notes(view.selection or None)
    nodes, edges, columns = map_parts(elements, set(view.selection), first.passing, first.front, flags)
    figures.append(first.figure)
    scatter = figure_slot(len(figures) - 1, SCATTER_HEIGHT)
    compare = to_html([details(forest, view.selection), first.compare], figures, skip={DOWNLOAD_BUTTON})
    sections = [
        Section("Model map", map_svg(nodes, edges, columns), wide=True),
        Section("Scatterplot", scatter),
        Section("Compare", compare),
        notes_section(notes, problem=problem,
                      scope=" on the selected models" if view.selection else " on any model"),
    ]
    return facts(forest, view), notices, sections
