"""The Behaviors table: AG Grid column definitions and one page of rows (pure builders).

The grid runs AG Grid's infinite row model: it asks for one 50-row page at a time and the
server answers from the cached arrays, so only the visible rows travel. Cell renderers live in
``assets/dashAgGridComponentFunctions.js``; every colour, bar length and label is decided here,
so the browser only draws.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import dash_ag_grid as dag
import numpy as np

from backend.behaviors import PAGE_SIZE
from backend.present.formatting import d3_format
from backend.present.scales import score_colors
from components.shared.notes import status_class

ITEM_WIDTH = 320
TEXT_ITEM_WIDTH = 600  # spec §1.9: the instance column of text at instance level
MODEL_WIDTH = 260
TEXT_ROW_HEIGHT = 150  # question and context wrap; the cell scrolls, it never clips the top


def item_width(level: str, text: bool = False) -> int:
    """The first column's width: wider for text instances, which wrap."""
    return TEXT_ITEM_WIDTH if text and level == "instance" else ITEM_WIDTH


def value_format(options: dict, relative_mode: bool, has_value: bool) -> str:
    """Spec §1.9: '+.2~%' for relative comparisons, '+.3~g' for changes, '.3~g' otherwise."""
    if relative_mode and options.get("relative"):
        return "+.2~%"
    if relative_mode and has_value:
        return "+.3~g"
    return options.get("format") or ".3~g"


def sort_labels(mode: str) -> dict[str, str]:
    """What a model column's sort indicator says, in words that match the server's order: the
    raw value in Absolute mode, the size of the change |Δ| in Relative mode (spec §1.9), so a
    column of negative changes sorted "biggest change first" starts at the most negative."""
    if mode == "relative":
        return {"desc": "↓ biggest change first", "asc": "↑ smallest change first", "none": "↕"}
    return {"desc": "↓ highest first", "asc": "↑ lowest first", "none": "↕"}


def sort_title(model: str, mode: str) -> str:
    """The header's hover text: what a click does next, in the same words."""
    if mode == "relative":
        return (f"{model}: click to sort by the size of its change against the base (|Δ|): "
                "largest first, then smallest first, then unsorted")
    return f"{model}: click to sort by its value: highest first, then lowest first, then unsorted"


def column_defs(models: Sequence[str], base: str, level: str, mode: str,
                sort: tuple[str, str] | None, text: bool = False) -> list[dict]:
    """The item column and one column per model (base marked); sorting happens on the server.

    Each model header draws its name and the sort label (``sort_labels``) with the
    ``BhHeader`` inner header of ``assets/dashAgGridComponentFunctions.js``; the grid's own
    arrow is hidden (``assets/behaviors.css``): a bare "↓" over rows ordered by |Δ| misreads."""
    item = {"field": "item", "headerName": "Class" if level == "class" else "Instance",
            "cellRenderer": "BhItem", "width": item_width(level, text), "pinned": "left", "sortable": False}
    cols = [item]
    for i, model in enumerate(models):
        is_base = model == base
        cols.append({
            "field": f"m{i}", "colId": f"m{i}",
            "headerName": f"{model} (Base)" if is_base else model,
            "cellRenderer": "BhCell", "width": MODEL_WIDTH,
            "sortable": not (is_base and mode == "relative"),
            "headerComponentParams": {
                "innerHeaderComponent": "BhHeader",
                "innerHeaderComponentParams": {"sortLabels": sort_labels(mode),
                                               "sortTitle": sort_title(model, mode)},
            },
            "sortingOrder": ["desc", "asc", None],
            "sort": sort[1] if sort and sort[0] == model else None,
            "cellClass": "bh-base-col" if is_base else "",
            "headerClass": "bh-base-col" if is_base else "",
        })
    return cols


def grid(grid_id: dict, models: Sequence[str], base: str, level: str, mode: str,
         sort: tuple[str, str] | None, text: bool = False) -> dag.AgGrid:
    """An infinite-model grid paginated by the server's 50-row pages (a bookmark's page is
    restored by the row server once the row count is known)."""
    row_height = (TEXT_ROW_HEIGHT if text else 84) if level == "instance" else 52
    return dag.AgGrid(
        id=grid_id,
        rowModelType="infinite",
        columnDefs=column_defs(models, base, level, mode, sort, text),
        defaultColDef={"resizable": True, "suppressHeaderMenuButton": True},
        dashGridOptions={
            "pagination": True, "paginationPageSize": PAGE_SIZE, "cacheBlockSize": PAGE_SIZE,
            "maxBlocksInCache": 4, "rowHeight": row_height, "headerHeight": 34,
            "getRowId": {"function": "params.data.key"},
            "paginationPageSizeSelector": False, "suppressCellFocus": True,
            "tooltipShowDelay": 300, "animateRows": False,
        },
        style={"height": f"{min(PAGE_SIZE, 9) * row_height + 90}px",
               "width": f"{item_width(level, text) + MODEL_WIDTH * len(models) + 4}px"},
        className="ag-theme-alpine bh-grid" + (" bh-grid-text" if text else ""),
    )


def sort_from_model(sort_model: list[dict] | None, models: Sequence[str]) -> tuple[str, str] | None:
    """AG Grid's sortModel ([{'colId': 'm2', 'sort': 'desc'}]) as (model id, direction)."""
    for item in sort_model or []:
        col = str(item.get("colId", ""))
        if col.startswith("m") and col[1:].isdigit() and int(col[1:]) < len(models):
            if item.get("sort") in ("desc", "asc"):
                return models[int(col[1:])], item["sort"]
    return None


def request_page(request: dict, models: Sequence[str]) -> tuple[tuple[str, str] | None, int]:
    """(sort, page) of the infinite grid's getRowsRequest (it asks by row, one page at a time)."""
    return sort_from_model(request.get("sortModel"), models), int(request.get("startRow") or 0) // PAGE_SIZE


def _cells(rows: list[dict], models: Sequence[str], base: str, mode: str, domain: tuple[float, float],
           diverging: bool, fmt: str, comparison: str, has_value: bool,
           value_fmt: str) -> list[dict[str, dict]]:
    lo, hi = domain
    extent = max(abs(lo), abs(hi)) or 1.0
    shown = np.array([[r["cells"][m]["shown"] if r["cells"].get(m) else np.nan for m in models]
                      for r in rows], dtype=float).reshape(len(rows), len(models))
    colors = score_colors(shown.ravel(), lo, hi, diverging) if shown.size else []
    out: list[dict[str, dict]] = []
    for i, row in enumerate(rows):
        cells = {}
        for j, model in enumerate(models):
            cell = row["cells"].get(model) or {}
            v = shown[i, j]
            hide_bar = mode == "relative" and model == base
            hide_label = hide_bar or mode != "relative"
            value = cell.get("value")
            pred = cell.get("pred_name")
            cells[f"m{j}"] = {
                "pred": pred,
                "text": (f"{d3_format(value_fmt, value)} {comparison}" if value is not None and has_value
                         else None),
                "frac": None if hide_bar or not np.isfinite(v) else float(min(1.0, abs(v) / extent)),
                "neg": bool(np.isfinite(v) and v < 0),
                "centered": bool(diverging),
                "color": colors[i * len(models) + j] if colors else "#e5e7eb",
                "label": None if hide_label or not np.isfinite(v) else d3_format(fmt, float(v)),
                "title": _caption(comparison, mode, model, base, v, value, fmt, has_value),
            }
        out.append(cells)
    return out


def _caption(comparison: str, mode: str, model: str, base: str, shown: float, value: float | None,
             fmt: str, has_value: bool) -> str:
    """The reference's hover captions of a table cell bar."""
    if not np.isfinite(shown):
        return f"{comparison}: no value"
    if mode == "absolute":
        return f"{comparison} is {d3_format(fmt, shown)} for {model}"
    if model == base:
        return f"{comparison} of the base"
    if shown == 0:
        return f"{comparison} did not change"
    if has_value:
        return f"{comparison} changed by {d3_format(fmt, shown)}"
    return f"{comparison} is {d3_format(fmt, shown)} compared to base"


def page_rows(rows: list[dict], level: str, models: Sequence[str], base: str, mode: str,
              domain: tuple[float, float], diverging: bool, fmt: str, comparison: str, has_value: bool,
              render: Callable[[int], dict] | None = None, value_fmt: str = ".3~g",
              link: Callable[[str], str] | None = None, flags: Mapping[str, str] | None = None) -> list[dict]:
    """Grid rows for one page: the item cell and one renderer payload per model.

    ``render(index)`` gives an instance's picture or text ({'image': data URI} or {'text': ...});
    ``link(instance id)`` the href of its per-layer drill-down. Both are called only for the
    rows of this page. ``flags`` (instance id -> latest review status): an instance row carries
    its badge and the button that opens its notes (``flags`` None: no notes on this page).
    """
    cells = _cells(rows, models, base, mode, domain, diverging, fmt, comparison, has_value, value_fmt)
    out = []
    for row, model_cells in zip(rows, cells, strict=True):
        if level == "class":
            item = {"kind": "class", "name": row["name"], "count": row["count"], "cls": row["class"]}
            key = f"c:{row['class']}"
        else:
            item = {"kind": "instance", "id": str(row["id"]), "label": row["label_name"],
                    **(render(row["index"]) if render else {})}
            if link is not None:
                item["layers"] = link(item["id"])
            if flags is not None:
                item["notes"] = True
                if item["id"] in flags:
                    item["flag"] = flags[item["id"]]
                    item["flagClass"] = status_class(flags[item["id"]])
            key = f"i:{row['index']}"
        out.append({"key": key, "item": item, **model_cells})
    return out
