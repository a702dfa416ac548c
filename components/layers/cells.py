"""Cells of the Layers tree: sparsity bars and histograms stacked by change (spec §1.10).

A page shows up to 20 rows × 16 models, so every cell is a few plain divs (CSS bars, one div
per histogram column with its change segments painted as a hard-stop gradient), never a
Plotly figure. Hover text lives in ``title`` attributes: no callback runs on hover.
"""

from __future__ import annotations

import numpy as np
from dash import html

from backend.present.formatting import d3_format

VERY_LIGHT_BLUE = "#e8f0ff"
LIGHT_BLUE = "#8cb4ff"
SYSTEM_BLUE = "#3378F6"
SYSTEM_PINK = "#EB4B63"
BASE_GREY = "#d1d5db"
NA_GREY = "#9ca3af"
CHANGE_LABELS = ("< 20%", "20–40%", "40–60%", "60–80%", "80–100%", "≥ 100%", "not comparable")


def _mix(a: str, b: str, t: float) -> str:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


CHANGE_COLORS = tuple(_mix(VERY_LIGHT_BLUE, SYSTEM_BLUE, i / 5) for i in range(6)) + (NA_GREY,)


def pct(x: float, spec: str = ".1%") -> str:
    """A fraction as a percentage ('–' when undefined); plain f-strings: cells format thousands."""
    if x is None or not np.isfinite(x):
        return "–"
    digits = spec.rstrip("%").lstrip("+.")
    sign = "+" if spec.startswith("+") else ""
    return f"{float(x) * 100:{sign}.{int(digits or 0)}f}%"


def num(x: float) -> str:
    """A statistic with three significant digits."""
    return "–" if x is None or not np.isfinite(x) else f"{float(x):.3g}"


def count(n: float) -> str:
    """A parameter count the reference's way: d3 '.3~s' with G shown as B."""
    return d3_format(".3~s", float(n)).replace("G", "B")


def quant_badge(mark: tuple[str, str] | None) -> html.Span | None:
    """A small 'int8' badge before a cell's caption (hover: how the model stores the weights);
    None when the model stores this module in float (``LayerSummary.quantized_at``)."""
    if mark is None:
        return None
    return html.Span(mark[0], className="cc-ly-badge", title=mark[1])


def marks(quantized: tuple[str, str] | None, pruned: tuple[str, str] | None) -> html.Span | None:
    """A cell's badges (quantized storage; channels removed by structured pruning) in one span,
    each (label, hover text) from ``LayerSummary.quantized_at`` / ``structure_at``; None if none."""
    kinds = ((quantized, "cc-ly-badge"), (pruned, "cc-ly-badge cc-ly-pruned"))
    spans = [html.Span(m[0], className=cls, title=m[1]) for m, cls in kinds if m is not None]
    if not spans:
        return None
    return spans[0] if len(spans) == 1 else html.Span(spans, className="cc-ly-badges")


def _caption(caption: str, badge: html.Span | None) -> html.Div:
    return html.Div(caption if badge is None else [badge, caption], className="cc-ly-caption")


def _cell(children: list, caption: str, title: str, extra: str = "",
          badge: html.Span | None = None) -> html.Div:
    return html.Div([html.Div(children, className="cc-ly-viz", title=title), _caption(caption, badge)],
                    className=f"cc-ly-cell {extra}".strip())


def empty_cell(text: str, title: str = "", badge: html.Span | None = None) -> html.Div:
    """A cell with nothing to draw (absent tensor, no activations, no data)."""
    return html.Div(_caption(text, badge), className="cc-ly-cell cc-ly-empty", title=title or text)


def sparsity_cell(model: str, base: str, f: dict[str, float], is_base: bool,
                  badge: html.Span | None = None) -> html.Div:
    """Zero fraction on a grey track; for a model, zeros kept from the base then newly zeroed."""
    n = f["n"]
    if n <= 0:
        return empty_cell(f"absent in {model}")
    zeros = f["zeros"] / n
    if is_base:
        bar = [html.Div(className="cc-ly-seg",
                        style={"width": f"{zeros * 100:.3f}%", "background": LIGHT_BLUE})]
        title = f"{pct(zeros)} zero in {base}\n{pct(1 - zeros)} nonzero in {base}"
        return _cell([html.Div(bar, className="cc-ly-track")], f"{pct(zeros)} zeros", title, badge=badge)
    compared = f["compared"]
    if compared > 0:
        both, only = f["zero_both"] / n, f["zero_model_only"] / n
        regrown = f["zero_base_only"] / n
    else:  # other shape: the model's own zeros only
        both, only, regrown = 0.0, zeros, 0.0
    change = zeros - (f["zeros_base"] / f["n_base"] if f["n_base"] > 0 else 0.0)
    bar = [html.Div(className="cc-ly-seg", style={"width": f"{both * 100:.3f}%", "background": LIGHT_BLUE}),
           html.Div(className="cc-ly-seg", style={"width": f"{only * 100:.3f}%", "background": SYSTEM_BLUE})]
    title = (f"{pct(both)} zero in both {model} and base\n{pct(only)} zero in {model} but not base\n"
             f"{pct(1 - zeros)} nonzero in {model}")
    if regrown > 0:
        title += f"\n{pct(regrown)} zero in base but not {model} (regrown)"
    caption = f"{pct(change, '+.1%')} zeros"
    return _cell([html.Div(bar, className="cc-ly-track")], caption, title, badge=badge)


def histogram_cell(edges: np.ndarray, counts: np.ndarray, caption: str, stacked: bool,
                   extra_title: str = "", badge: html.Span | None = None) -> html.Div:
    """Columns = value bins (height: share of the tallest bin), stacked by change bin.

    The largest change sits at the bottom, as in the reference. Each column carries its counts
    in ``data-c``; ``assets/cc_layers.js`` writes the hover text ("p% between a and b", then
    the share of each change bin) when the pointer reaches it, which keeps a page of 20 rows ×
    16 models small.
    """
    totals = counts.sum(axis=1)
    total = int(totals.sum())
    if total <= 0:
        return empty_cell(caption or "no values", badge=badge)
    top = totals.max()
    columns: list = []
    gap = 0
    for i, col_total in enumerate(totals):
        if not col_total:  # runs of empty bins become one spacer: fewer elements per cell
            gap += 1
            continue
        if gap:
            columns.append(html.Div(className="cc-ly-gap", style={"flexGrow": gap}))
            gap = 0
        style = {"height": f"{col_total / top * 100:.1f}%"}
        if stacked:
            stops, acc = [], 0.0
            for c in range(len(CHANGE_LABELS) - 2, -1, -1):  # ≥100% at the bottom ...
                stops, acc = _stop(stops, acc, counts[i, c] / col_total, CHANGE_COLORS[c])
            stops, acc = _stop(stops, acc, counts[i, -1] / col_total, CHANGE_COLORS[-1])
            style["background"] = f"linear-gradient(to top,{','.join(stops)})"
        columns.append(html.Div(className="cc-ly-col" + ("" if stacked else " cc-ly-col-base"), style=style,
                                **{"data-i": str(i), "data-c": ",".join(str(int(v)) for v in counts[i])}))
    if gap:
        columns.append(html.Div(className="cc-ly-gap", style={"flexGrow": gap}))
    step = float(edges[1] - edges[0]) if len(edges) > 1 else 1.0
    offset = round(float(edges[0]) / step)  # edges sit at whole multiples of the step
    hist = html.Div(columns, className="cc-ly-hist",
                    **{"data-off": str(offset), "data-step": repr(step), "data-n": str(total)})
    return _cell([hist], caption, extra_title or caption, badge=badge)


def column_title(edges: np.ndarray, counts: np.ndarray, i: int) -> str:
    """The hover text of column i, as assets/cc_layers.js writes it (kept here for tests/docs)."""
    total, col = counts.sum(), counts[i].sum()
    text = f"{pct(col / total)} between {num(edges[i])} and {num(edges[i + 1])}"
    parts = [f"change {CHANGE_LABELS[c]}: {pct(counts[i, c] / col)}" for c in range(len(CHANGE_LABELS))
             if counts[i, c]]
    return text + ("\n" + "\n".join(parts) if parts else "")


def _stop(stops: list[str], acc: float, share: float, color: str) -> tuple[list[str], float]:
    if share <= 0:
        return stops, acc
    end = acc + share * 100
    stops.append(f"{color} {acc:.1f}% {end:.1f}%")
    return stops, end


def change_legend() -> html.Div:
    """The colour key of the change bins."""
    return html.Div([html.Span("Relative change |w − w_base| / |w_base|:", className="cc-ly-legend-title")]
                    + [html.Span([html.I(style={"background": color}), label], className="cc-ly-swatch")
                       for color, label in zip(CHANGE_COLORS, CHANGE_LABELS, strict=True)],
                    className="cc-ly-legend")
