"""The Layers tree browser: sticky header, one row per visible module, pager (spec §1.10).

Rows carry their node name in ``data-node``; clicks, arrow keys, sort buttons and the pager
are read by one delegated listener in ``assets/cc_layers.js``, which reports them to the
server through a store, so the table can be re-rendered freely without re-wiring callbacks.
"""

from __future__ import annotations

from dash import html

from backend.layers import LayerSummary, Page
from components.layers.cells import (
    change_legend,
    count,
    empty_cell,
    histogram_cell,
    marks,
    num,
    pct,
    quant_badge,
    sparsity_cell,
)
from components.shared import ids

SUBTITLES = {"sparsity": "Sparsity", "weights": "Weight distribution", "activations": "Activations"}
# What a column's sort button says: the order the rows are in (a signed sort, highest first for
# "desc", ``backend.layers.module_tree.sort_nodes``), in words as well as an arrow.
SORT_SYMBOLS = {"desc": "↓ highest first", "asc": "↑ lowest first", None: "↕"}
SORT_TITLE = "Sort by {model}: highest first, then lowest first, then unsorted"


def model_badge(model: str, quantized: dict[str, str] | None) -> html.Span | None:
    """'int8' next to a model's id when it stores some modules quantized (hover: how many)."""
    if not quantized:
        return None
    kinds = {d.split(" ")[0] for d in quantized.values()}
    label = kinds.pop() if len(kinds) == 1 else "quantized"
    shown = ", ".join(list(quantized)[:5]) + (", …" if len(quantized) > 5 else "")
    return quant_badge((label, f"{model} stores {len(quantized)} module"
                               f"{'s' if len(quantized) != 1 else ''} quantized: {shown}"))


def header(models: list[str], base: str, tensor: str, sort: tuple[str, str] | None,
           metrics: dict[str, str] | None = None,
           quantized: dict[str, dict[str, str]] | None = None) -> html.Div:
    """'Module', then per model: id, sort button, subtitle (' vs. base'), a metric line.

    A model that stores modules quantized gets an 'int8' badge beside its id.
    """
    cols = [html.Div("Module", className="cc-ly-name cc-ly-head-name")]
    for m in models:
        direction = sort[1] if sort and sort[0] == m else None
        subtitle = SUBTITLES[tensor] + ("" if m == base else " vs. base")
        badge = model_badge(m, (quantized or {}).get(m))
        cols.append(html.Div([
            html.Div([html.Code(m, className="cc-ly-model", title=m),
                      *([badge] if badge is not None else []),
                      html.Button(SORT_SYMBOLS[direction], className="cc-ly-sort"
                                  + (" cc-ly-sort-on" if direction else ""),
                                  title=SORT_TITLE.format(model=m),
                                  **{"data-sort": m})], className="cc-ly-head-top"),
            html.Div(subtitle, className="cc-ly-sub"),
            html.Div((metrics or {}).get(m, ""), className="cc-ly-metric"),
        ], className="cc-ly-cell cc-ly-head-cell" + (" cc-ly-base-col" if m == base else "")))
    return html.Div(cols, className="cc-ly-head")


def annotation(summary: LayerSummary, node: int) -> str:
    """'N parameters', 'N activations' or 'No activations, k children' (spec §1.10)."""
    if summary.source == "activations":
        if summary.has_data[node]:
            n = max(summary.field(m, "n")[node] for m in summary.models)
            return f"{count(n)} activations"
        k = len(summary.tree.children[node])
        return f"No activations, {k} child{'ren' if k != 1 else ''}"
    n = summary.field(summary.base, "n")[node] or max(summary.field(m, "n")[node] for m in summary.models)
    return f"{count(n)} parameters"


def _shape_text(shape: list | None) -> str:
    return "absent" if shape is None else "×".join(str(s) for s in shape) or "scalar"


def _value_caption(summary: LayerSummary, model: str, node: int, tensor: str,
                   f: dict[str, float]) -> tuple[str, str]:
    """(caption, hover title) of a weight or activation cell."""
    noun = "|w|" if summary.source == "parameters" else "|a|"
    if model == summary.base:
        mean = f["abs_sum"] / f["n"] if f["n"] else float("nan")
        return f"L1: {num(mean)}", f"mean {noun} = {num(mean)} over {count(f['n'])} values"
    shapes = summary.shapes(model, node)
    if f["compared"] <= 0:
        if shapes is not None:
            text = f"shape {_shape_text(shapes[1])} → {_shape_text(shapes[0])}"
            return text, text + f"; model L1 {num(f['abs_sum'])}, L2 {num(f['sq_sum'] ** 0.5)}"
        return "not comparable", "no values of this module could be compared with the base"
    delta = f["diff_abs_sum"] / f["compared"]
    rel = summary.change(model, tensor)[node]
    caption = f"Δ: {num(delta)} · {pct(rel, '.0%')} moved"
    title = (f"mean |Δ| = {num(delta)}; Σ|Δ| / max(Σ{noun}, Σ{noun} base) = {pct(rel)}"
             if tensor == "weights" else
             f"mean |Δ| = {num(delta)}; ‖Δ‖ / max(‖a‖, ‖a base‖) = {pct(rel)}")
    na = summary.not_comparable(model, node)
    if na:
        title += f"; {count(na)} values not comparable (shape changed or new)"
    return caption, title


def row_cells(summary: LayerSummary, tensor: str, node: int, models: list[str]) -> list:
    """One cell per model for one node."""
    def badge(m: str):
        return marks(summary.quantized_at(m, node), summary.structure_at(m, node))

    if tensor == "sparsity":
        return [sparsity_cell(m, summary.base, summary.cell(m, node), m == summary.base, badge=badge(m))
                for m in models]
    if summary.source == "activations" and not summary.has_data[node]:
        return [empty_cell("", badge=badge(m)) for m in models]
    grid, hists = summary.histograms(node, models)
    edges = grid.edges()
    cells = []
    for m in models:
        f = summary.cell(m, node)
        if f["n"] <= 0:
            cells.append(empty_cell(f"absent in {m}"))
            continue
        caption, title = _value_caption(summary, m, node, tensor, f)
        cells.append(histogram_cell(edges, hists[m], caption, stacked=m != summary.base, extra_title=title,
                                    badge=badge(m)))
    return cells


def tree_table(summary: LayerSummary, tensor: str, page: Page, selected: str | None, expanded: set[str],
               sort: tuple[str, str] | None, metrics: dict[str, str] | None = None) -> html.Div:
    """Header and the rows of one page; the selected row is taller (CSS)."""
    models = summary.models
    rows = []
    for r in page.rows:
        name = summary.tree.names[r.node]
        kids = bool(summary.tree.children[r.node])
        is_open = kids and name in expanded
        label = [
            html.Span("▸" if kids else "", className="cc-ly-arrow" + (" cc-ly-open" if is_open else "")),
            html.Span(summary.tree.label(r.node, r.top), className="cc-ly-label", title=name),
            html.Span(annotation(summary, r.node), className="cc-ly-count"),
        ]
        rows.append(html.Div(
            [html.Div(label, className="cc-ly-name", style={"paddingLeft": f"{6 + 18 * r.indent}px"}),
             *row_cells(summary, tensor, r.node, models)],
            className="cc-ly-row" + (" cc-ly-selected" if name == selected else ""),
            tabIndex="0",
            **{"data-node": name, "data-kids": "1" if kids else "0", "data-open": "1" if is_open else "0"},
        ))
    if not rows:
        rows = [html.Div("No modules match.", className="cc-hint cc-ly-none")]
    head = header(models, summary.base, tensor, sort, metrics, summary.quantized)
    return html.Div([head, html.Div(rows, className="cc-ly-body")], id=ids.LY_TREE, className="cc-ly-table")


def pager(page: Page, flat: bool) -> html.Div:
    """'Modules a – b of N' with Previous / Next (hidden when everything fits on one page)."""
    if page.pages <= 1 and not flat:
        return html.Div()
    label = f"Modules {page.first} – {page.last} of {page.total}" if page.total else "No modules"
    return html.Div([
        html.Button("Previous", className="cc-button cc-small", disabled=page.page <= 1,
                    id=ids.LY_PREV, **{"data-page": "-1"}),
        html.Span(label, className="cc-ly-page-label"),
        html.Button("Next", className="cc-button cc-small", disabled=page.page >= page.pages,
                    id=ids.LY_NEXT, **{"data-page": "1"}),
    ], className="cc-ly-pager")


def tree_block(summary: LayerSummary, tensor: str, page: Page, selected: str | None, expanded: set[str],
               sort: tuple[str, str] | None, metrics: dict[str, str] | None = None) -> list:
    """The tree table, under the change legend for weights and activations."""
    table = tree_table(summary, tensor, page, selected, expanded, sort, metrics)
    return [table] if tensor == "sparsity" else [change_legend(), table]
