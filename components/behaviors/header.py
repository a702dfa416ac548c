"""The Behaviors page's header: per-model histograms, the Dataset summary, and significance.

Pure builders: Plotly figures as plain dicts (cheap to build and to send) and Dash html.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from dash import dcc, html

from backend.present.formatting import d3_format
from backend.present.scales import score_colors
from components.behaviors.grid import MODEL_WIDTH, item_width


def histogram_figure(hist: dict, domain: tuple[float, float], diverging: bool, xlabel: str,
                     brush: tuple[float, float] | None) -> dict:
    """A 200×110 bar histogram of one model's shown values; drag along x to brush."""
    edges = np.asarray(hist["edges"], dtype=float)
    counts = list(hist["counts"])
    centres = (edges[:-1] + edges[1:]) / 2 if len(edges) > 1 else np.array([])
    colors = score_colors(centres, domain[0], domain[1], diverging) if len(centres) else []
    top = max(counts) if counts else 1
    layout: dict = {
        "height": 118, "width": MODEL_WIDTH - 24,
        "margin": {"l": 30, "r": 6, "t": 4, "b": 30},
        "bargap": 0.05, "dragmode": "select", "selectdirection": "h",
        "xaxis": {"title": {"text": xlabel, "font": {"size": 10}}, "tickfont": {"size": 9},
                  "fixedrange": True, "range": [float(edges[0]), float(edges[-1])] if len(edges) else None},
        "yaxis": {"tickfont": {"size": 9}, "fixedrange": True, "nticks": 3},
        "plot_bgcolor": "#fff", "paper_bgcolor": "rgba(0,0,0,0)", "showlegend": False,
        "hoverlabel": {"font": {"size": 11}},
    }
    if brush is not None:
        layout["selections"] = [{"type": "rect", "xref": "x", "yref": "y", "x0": brush[0], "x1": brush[1],
                                 "y0": 0, "y1": top}]
    return {
        "data": [{
            "type": "bar", "x": centres.tolist(), "y": counts,
            "width": float(edges[1] - edges[0]) if len(edges) > 1 else 1,
            "marker": {"color": colors},
            "customdata": [[float(a), float(b)] for a, b in zip(edges[:-1], edges[1:], strict=True)],
            "hovertemplate": "%{customdata[0]:.3~g} – %{customdata[1]:.3~g}: %{y}<extra></extra>",
        }],
        "layout": layout,
    }


def histogram_strip(hist_id: str, models: Sequence[str], base: str, mode: str, histograms: dict,
                    domain: tuple[float, float], diverging: bool, xlabel: str,
                    brushes: dict[str, tuple[float, float]], first_width: int | None = None) -> html.Div:
    """Histograms aligned with the grid's model columns (the base has none in Relative mode)."""
    cells = [html.Div(html.Span("Drag on a histogram to filter rows; double-click clears it.",
                                className="cc-hint"), className="bh-strip-item",
                      style={"width": f"{first_width or item_width('class')}px"})]
    for model in models:
        hist = histograms.get(model)
        if hist is None:
            body = html.Div("—", className="bh-strip-empty")
        else:
            body = dcc.Graph(id={"type": hist_id, "model": model},
                             figure=histogram_figure(hist, domain, diverging, xlabel, brushes.get(model)),
                             config={"displayModeBar": False, "doubleClick": "reset"},
                             className="bh-hist")
        cells.append(html.Div(body, className="bh-strip-cell" + (" bh-base-col" if model == base else ""),
                              style={"width": f"{MODEL_WIDTH}px"}))
    return html.Div(cells, className="bh-strip")


def _top_changes(summary: dict, mode: str, is_base: bool) -> html.Div | None:
    top = summary.get("top") or []
    if not top:
        return None
    if mode == "relative" and not is_base:
        title = "Base ▸ Model Prediction Differences"
        items = [html.Li([html.Span(f"{t['base']} ▸ {t['model']}", className="bh-change"),
                          html.Span(d3_format(".1~%", t["rate"]), className="bh-rate")]) for t in top]
    else:
        title = "Model Prediction"
        items = [html.Li([html.Span(str(t["model"]), className="bh-change"),
                          html.Span(d3_format(".1~%", t["rate"]), className="bh-rate")]) for t in top]
    return html.Div([html.Div(title, className="bh-top-title"), html.Ul(items, className="bh-top")])


def significance_badge(sig: dict | None) -> html.Span | None:
    """Δ accuracy with its 95 % bootstrap CI and McNemar's p: is this difference noise?"""
    if not sig:
        return None
    delta = d3_format("+.1f", 100 * sig["delta"])
    ci = f"[{d3_format('+.1f', 100 * sig['lo'])}, {d3_format('+.1f', 100 * sig['hi'])}]"
    p = sig["p"]
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    ok = sig["significant"]
    return html.Span(
        [html.B("significant" if ok else "noise?"), f" Δacc {delta} pts {ci} · {p_text}"],
        className="bh-badge " + ("bh-badge-sig" if ok else "bh-badge-noise"),
        title=("Paired bootstrap 95 % CI of the accuracy difference to the base and McNemar's test "
               "on the instances where exactly one of the two is right."),
    )


def summary_row(models: Sequence[str], base: str, mode: str, summary: dict, n_instances: int,
                filtered: bool, comparison: str, fmt: str, has_value: bool,
                significance: dict, value_fmt: str = ".3~g", first_width: int | None = None) -> html.Div:
    """'Dataset · N instances', then per model the mean value, mean shown value and top changes."""
    head = html.Div([html.B("Filtered Dataset" if filtered else "Dataset"),
                     html.Div(f"{n_instances:,} instances", className="cc-hint")],
                    className="bh-strip-item", style={"width": f"{first_width or item_width('class')}px"})
    cells = [head]
    for model in models:
        s = summary.get(model, {})
        is_base = model == base
        parts: list = []
        if has_value and s.get("mean_value") is not None:
            parts.append(html.Div([html.B(d3_format(value_fmt, s["mean_value"])), f" {comparison}"],
                                  className="bh-mean"))
        if mode == "relative" and not is_base and s.get("mean_shown") is not None:
            parts.append(html.Div(f"mean change {d3_format(fmt, s['mean_shown'])}", className="cc-hint"))
        elif not has_value and s.get("mean_shown") is not None:
            parts.append(html.Div([html.B(d3_format(fmt, s["mean_shown"])), f" {comparison}"],
                                  className="bh-mean"))
        if not is_base:
            parts.append(significance_badge(significance.get(model)))
        parts.append(_top_changes(s, mode, is_base))
        cls = "bh-strip-cell bh-summary" + (" bh-base-col" if is_base else "")
        cells.append(html.Div(parts, className=cls,
                              style={"width": f"{MODEL_WIDTH}px"}))
    return html.Div(cells, className="bh-strip")
