"""Read-only tables that the browser builds from JSON, instead of one Dash component per cell.

Why: the Compare tab's table for 16 models was 136 Dash components (a ``Tr`` per row, a ``Td``
per cell), and the renderer's work per component cost 0.15–0.2 s of that tab's first paint
(sampled A/B against the tab without the table). Here the table is one ``div`` whose
``data-table`` attribute holds it as JSON; ``assets/cc_tables.js`` builds the ``<table>`` when
the div appears or its JSON changes (text only: cells are never parsed as HTML). The snapshot
renders the same JSON as ``dash.html`` components (:func:`as_components`): one source of truth.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from dash import html

ATTRIBUTE = "data-table"


def data_table(component_id: str, class_name: str, head: Sequence[str], rows: Sequence[Sequence[str]],
               column_classes: Sequence[str] = (), titled: Sequence[int] = ()) -> html.Div:
    """The host of a table: ``column_classes[j]`` goes on column j's cells, and the cells of the
    columns in ``titled`` repeat their text as a tooltip (long ids cut by CSS)."""
    spec = {"className": class_name, "head": list(head), "rows": [list(r) for r in rows],
            "classes": list(column_classes), "titled": list(titled)}
    return html.Div(id=component_id, className="cc-table-host",
                    **{ATTRIBUTE: json.dumps(spec, separators=(",", ":"))})


def spec_of(host: html.Div) -> dict:
    """The table a host holds."""
    return json.loads(getattr(host, ATTRIBUTE))


def as_components(host: html.Div) -> html.Table:
    """The host's table as ``dash.html`` components (what assets/cc_tables.js builds)."""
    spec = spec_of(host)
    classes, titled = spec["classes"], set(spec["titled"])

    def cell(j: int, value: str) -> html.Td:
        cls = classes[j] if j < len(classes) and classes[j] else None
        return html.Td(value, className=cls, title=value if j in titled else None)

    body = [html.Tr([cell(j, v) for j, v in enumerate(row)]) for row in spec["rows"]]
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in spec["head"]])), html.Tbody(body)],
                      className=spec["className"])
