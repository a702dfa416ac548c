"""The toolbar's "+ Derived metric" control: a name, an expression, the reason one is refused,
and the page's derived metrics with a remove button each.

Adding or removing one navigates to the new URL (``pages/_derived_callbacks.py``), so the whole
page, every metric picker included, is drawn again from the URL a bookmark keeps.
"""

from __future__ import annotations

from dash import dcc, html

from backend.viewstate.overview import OverviewView
from components.shared import ids

HELP = ("Metric names (in `backticks` when they hold spaces or symbols), numbers such as 1e6, "
        "+ - * / ** ( ), comparisons < <= > >= == != (1 or 0), and log, exp, min, max, abs. "
        "Built in for each primary metric: its change vs parent and vs root "
        "(Δ: a difference, ×: a ratio for lower-is-better sizes and latencies).")


def derived_control(view: OverviewView) -> html.Details:
    """The control, closed; the view's derived metrics listed inside."""
    defined = [
        html.Li([
            html.Span(name, className="cc-derived-name"),
            html.Code(f" = {expr}", className="cc-derived-expr"),
            html.Button("×", id={"type": ids.OV_DERIVED_REMOVE, "index": i}, n_clicks=0,
                        title=f"Remove {name}", className="cc-derived-remove"),
        ])
        for i, (name, expr) in enumerate(view.derived)
    ]
    return html.Details(
        [
            html.Summary("+ Derived metric", className="cc-button cc-small"),
            html.Div(
                [
                    dcc.Input(id=ids.OV_DERIVED_NAME, type="text", placeholder="Name, e.g. Accuracy per MB",
                              className="cc-derived-input", autoComplete="off"),
                    dcc.Input(id=ids.OV_DERIVED_EXPR, type="text", n_submit=0,
                              placeholder="Expression, e.g. Accuracy / (`Model Size` / 1e6)",
                              className="cc-derived-input", autoComplete="off", spellCheck=False),
                    html.Button("Add", id=ids.OV_DERIVED_ADD, n_clicks=0,
                                className="cc-button cc-small cc-primary"),
                    html.Div(id=ids.OV_DERIVED_ERROR, className="cc-derived-error"),
                    html.Div(HELP, className="cc-hint"),
                    html.Ul(defined, className="cc-derived-list") if defined else None,
                    dcc.Location(id=ids.OV_NAVIGATE, refresh="callback-nav"),
                ],
                className="cc-derived-panel",
            ),
        ],
        id=ids.OV_DERIVED_BOX,
        className="cc-derived",
    )
