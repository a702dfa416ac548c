"""The sidebar of the detail pages (Behaviors, Layers): the compared models and the base.

Removing a model or changing the base navigates to the same page with a new query string, so
the page layout re-runs from the URL and the bookmark always matches what is shown.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from dash import ALL, MATCH, Input, Output, State, callback, ctx, dcc, html, no_update

from backend.viewstate.codec import build_query, decode_ids, encode_ids
from components.shared import ids

# Query keys that refer to one model's column; they are dropped when that model goes away.
_PER_MODEL_KEYS = ("sort", "brush")


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


def navigate(path: str, search: str | None, models: list[str], base: str | None,
             removed: str | None = None) -> str:
    """The href after a base change or a removal: other view keys kept, page reset."""
    params = dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))
    params.pop("page", None)
    if removed is not None:
        models = [m for m in models if m != removed]
        for key in _PER_MODEL_KEYS:
            params.pop(key, None)
        if base == removed:
            base = models[0] if models else None
    if base is not None:
        models = [base] + [m for m in models if m != base]
    params["models"] = encode_ids(models)
    params["base"] = base or ""
    ordered = {"models": params.pop("models"), "base": params.pop("base"), **params}
    return path + build_query(ordered)


@callback(
    Output({"type": ids.DETAIL_NAV, "page": MATCH}, "href"),
    Input({"type": ids.DETAIL_BASE, "page": MATCH}, "value"),
    Input({"type": ids.DETAIL_REMOVE, "page": MATCH, "model": ALL}, "n_clicks"),
    State(ids.URL, "pathname"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def change_models(base: str | None, _clicks: list[int], pathname: str, search: str | None) -> str:
    """A new base or a removed model becomes a navigation to the updated query string."""
    params = dict(parse_qsl((search or "").lstrip("?")))
    models = decode_ids(params.get("models"))
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and trigger.get("type") == ids.DETAIL_REMOVE:
        if not any(_clicks):
            return no_update
        return navigate(pathname, search, models, params.get("base"), removed=trigger["model"])
    if not base or base == params.get("base"):
        return no_update
    return navigate(pathname, search, models, base)
