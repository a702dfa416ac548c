"""The sidebar of the detail pages (Behaviors, Layers): the compared models and the base.

Removing a model or changing the base navigates to the same page with a new query string
(``pages/_shell.py`` wires it, ``backend.viewstate.links.after_change`` computes it), so the
page layout re-runs from the URL and the bookmark always matches what is shown.
"""

from __future__ import annotations

from dash import dcc, html

from components.shared import ids


def detail_sidebar(page: str, models: list[str], base: str, note: str) -> html.Aside:
    """'Comparing N models', one pill per model with a remove button, the base select."""
    pills = [
        html.Li(
            [
                html.Code(m, className="cc-pill-id", title=m),
                html.Span(" (base)", className="cc-pill-base") if m == base else None,
                html.Button("×", id={"type": ids.DETAIL_REMOVE, "page": page, "model": m}, n_clicks=0,
                            className="cc-pill-remove", title=f"Remove {m} from the comparison",
                            disabled=len(models) <= 1),
            ],
            className="cc-pill",
        )
        for m in models
    ]
    return html.Aside(
        [
            html.H3(f"Comparing {len(models)} model{'s' if len(models) != 1 else ''}"),
            html.Ul(pills, className="cc-pills"),
            html.P(note, className="cc-hint"),
            html.Label("Base model:", htmlFor=f"{page}-base-select"),
            dcc.Dropdown(id={"type": ids.DETAIL_BASE, "page": page}, options=models, value=base,
                         clearable=False, searchable=True, className="cc-base-select"),
            dcc.Location(id={"type": ids.DETAIL_NAV, "page": page}, refresh="callback-nav"),
        ],
        className="cc-detail-sidebar",
    )
