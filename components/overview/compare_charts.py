"""The Compare tab's grouped bar charts (spec §1.8 ComparisonBarChart), as plain figure dicts.

One chart per primary metric: x = variable 0 of the simplified table, colour = variable 1. Unlike
the reference, models sharing an (x, colour) pair never overlap: the k-th model of a pair goes to
the k-th trace of that colour, and Plotly's group mode puts those traces side by side. x values
sit at integer positions with their labels as tick text, so two values that print alike can never
merge, and the x axis follows ``axis_order`` (sequence order for merged operations).

Figures are plain dicts, like the scatterplot's: Plotly's validation is pure overhead here.
Every string Plotly renders (ticks, titles, hover) is HTML-escaped, since Plotly reads them as
pseudo-HTML; ``customdata`` keeps the raw model id for click and hover callbacks.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape as _html_escape
from typing import Any

from dash import html

from backend.comparability import ComparisonTable, axis_order, format_value, value_key
from backend.experiment.forest import ExperimentForest
from backend.experiment.schema import MetricSpec
from backend.present.formatting import format_metric
from backend.present.scales import APPLE8
from components.overview.tick_labels import PLOT_PX, TickLayout, tick_layout, title_lines

PLOT_HEIGHT = 144  # the reference's chart height (the plot area here; margins come on top)
MARGIN = {"l": 52, "r": 12, "t": 26}
TITLE_LINE_PX = 15  # one line of the 11 px axis title
MIN_PLOT_PX = 232  # the plot's width in the side card at its minimum width (320 px)


def escape(text: str) -> str:
    """Text for Plotly's pseudo-HTML: tags inert; quotes kept (Plotly prints '&quot;' literally)."""
    return _html_escape(str(text), quote=False)


def variable_title(table: ComparisonTable, index: int) -> str:
    """A variable's label, or "Operation" for the reference's unlabelled ones."""
    return table.variables[index].label or "Operation"


def metric_title(metric: MetricSpec) -> str:
    """The metric's name with its unit, as a chart title."""
    return f"{metric.name} ({metric.unit})" if metric.unit else metric.name


def x_ticks(table: ComparisonTable) -> TickLayout:
    """The wrapped, upright x labels of the table's charts (the same for every metric)."""
    return tick_layout([format_value(v) for v in axis_order(table, 0)])


def min_chart_width(table: ComparisonTable) -> int:
    """The narrowest chart whose x labels stay upright and apart; a narrower card scrolls it."""
    return MARGIN["l"] + MARGIN["r"] + x_ticks(table).plot_width()


def tick_format(metric: MetricSpec, top: float) -> str:
    """The y tick format: percentages stay percentages, else the reference's ``.3~s``/``.3~``."""
    if metric.format and metric.format.rstrip().endswith("%"):
        return "~%"
    return ".3~s" if abs(top) >= 1000 else ".3~"


def colour_domain(table: ComparisonTable) -> list:
    """Colour categories in display order ([None] when the table has one variable)."""
    return axis_order(table, 1) if len(table.variables) > 1 else [None]


def colour_of(position: int) -> str:
    """schemeApple8, cycling past eight categories."""
    return APPLE8[position % len(APPLE8)]


def bar_slots(table: ComparisonTable) -> tuple[list, list, dict[tuple[int, int], list[tuple[int, str]]]]:
    """(x values, colour values, {(colour position, k): [(x position, model id)]}).

    ``k`` counts earlier models with the same (x, colour) pair, so each slot list holds at most
    one model per x and slots of one colour sit side by side.
    """
    xs, cs = axis_order(table, 0), colour_domain(table)
    xpos = {value_key(v): i for i, v in enumerate(xs)}
    cpos = {value_key(v): i for i, v in enumerate(cs)}
    seen: dict[tuple[int, int], int] = defaultdict(int)
    slots: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
    two = len(table.variables) > 1
    for mid, vals in table.rows:
        xi = xpos[value_key(vals[0])]
        ci = cpos[value_key(vals[1])] if two else 0
        k = seen[(xi, ci)]
        seen[(xi, ci)] += 1
        slots[(ci, k)].append((xi, mid))
    return xs, cs, dict(sorted(slots.items()))


def bar_figure(forest: ExperimentForest, table: ComparisonTable, metric: MetricSpec) -> dict:
    """The grouped column chart of one metric over a simplified table with 1 or 2 variables."""
    xs, cs, slots = bar_slots(table)
    two = len(table.variables) > 1
    xtitle = variable_title(table, 0)
    ctitle = variable_title(table, 1) if two else None
    traces, top = [], 0.0
    for (ci, _k), members in slots.items():
        x, y, ids, text = [], [], [], []
        for xi, mid in members:
            value = forest[mid].metrics.get(metric.name) if mid in forest else None
            shown = format_metric(value, metric.format, metric.unit)
            lines = [f"<b>{escape(mid)}</b>", f"{escape(xtitle)}: {escape(format_value(xs[xi]))}"]
            if two:
                lines.append(f"{escape(ctitle)}: {escape(format_value(cs[ci]))}")
            lines.append(f"{escape(metric.name)}: <b>{escape(shown)}</b>")
            number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
            if number is not None:
                top = max(top, float(number))
            x.append(xi)
            y.append(number)
            ids.append(mid)
            text.append("<br>".join(lines))
        traces.append({
            "type": "bar", "x": x, "y": y, "customdata": ids, "text": text, "textposition": "none",
            "hovertemplate": "%{text}<extra></extra>", "name": format_value(cs[ci]) if two else metric.name,
            "marker": {"color": colour_of(ci), "line": {"color": "rgba(255,255,255,0.9)", "width": 1}},
            "showlegend": False,
        })
    ticks = x_ticks(table)
    heading = title_lines(xtitle, min(max(ticks.plot_width(), MIN_PLOT_PX), PLOT_PX))
    bottom = 12 + ticks.height + TITLE_LINE_PX * len(heading)
    return {
        "data": traces,
        "layout": {
            "height": PLOT_HEIGHT + MARGIN["t"] + bottom,
            "margin": {**MARGIN, "b": bottom, "pad": 0},
            "barmode": "group", "bargap": 0.1, "bargroupgap": 0.06,
            "title": {"text": escape(metric_title(metric)), "x": 0, "xanchor": "left", "xref": "paper",
                      "y": 1, "yanchor": "top", "yref": "container", "pad": {"t": 6},
                      "font": {"size": 12, "color": "#374151"}},
            # upright labels, wrapped with <br>: Plotly would otherwise turn them 90° and cut them
            "xaxis": {"tickmode": "array", "tickvals": list(range(len(xs))), "tickangle": 0,
                      "ticktext": ["<br>".join(escape(part) for part in t) for t in ticks.lines],
                      "tickfont": {"size": ticks.font},
                      "range": [-0.5, len(xs) - 0.5], "fixedrange": True, "showgrid": False,
                      "automargin": False, "ticklabeloverflow": "allow",  # no overflow pass (margins fit)
                      "title": {"text": "<br>".join(escape(line) for line in heading), "standoff": 4,
                                "font": {"size": 11}}},
            "yaxis": {"rangemode": "tozero", "nticks": 5, "tickformat": tick_format(metric, top),
                      "fixedrange": True, "gridcolor": "#eef0f3", "zeroline": True,
                      "zerolinecolor": "#d1d5db", "ticklabeloverflow": "allow"},
            "plot_bgcolor": "white", "paper_bgcolor": "white", "dragmode": False, "showlegend": False,
            "hovermode": "closest", "font": {"family": "system-ui, sans-serif", "size": 10},
        },
    }


def bar_legend(table: ComparisonTable) -> html.Div | None:
    """The grey legend box above the first chart: the colour variable's title and its swatches."""
    if len(table.variables) < 2:
        return None
    items: list[Any] = []
    for i, value in enumerate(colour_domain(table)):
        items.append(html.Span(
            [html.Span(className="cc-bars-dot", style={"backgroundColor": colour_of(i)}),
             html.Span(format_value(value))],
            className="cc-bars-swatch",
        ))
    return html.Div(
        [html.Span(variable_title(table, 1), className="cc-bars-legend-title"), *items],
        className="cc-bars-legend",
    )
