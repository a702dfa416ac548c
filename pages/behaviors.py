"""Behaviors: predictions of several models against a base, computed lazily and cached."""

from __future__ import annotations

import time

import dash
from dash import Input, Output, State, callback, dcc, html

from backend.behaviors import model_summary
from backend.cache import CacheError
from backend.formatting import d3_format
from backend.inference.protocol import InspectorError
from components import ids
from components.context import engine, experiment
from components.jobs import job_controls

dash.register_page(__name__, path="/behaviors", title="Behaviors · Compress & Compare", name="Behaviors")

MAX_MODELS = 16


def parse_models(models: str | None, base: str | None, known) -> tuple[list[str], str | None, list[str]]:
    """Models (base first, at most 16, known ids only), the base, and dropped ids to report."""
    wanted = [m for m in (models or "").split(",") if m]
    dropped = [m for m in wanted if m not in known]
    chosen = list(dict.fromkeys(m for m in wanted if m in known))[:MAX_MODELS]
    if base not in chosen:
        base = chosen[0] if chosen else None
    if base is not None:
        chosen = [base] + [m for m in chosen if m != base]
    return chosen, base, dropped


def summary_table(rows: list[dict], base: str) -> html.Table:
    """Accuracy, agreement with the base, flips and mean KL, one row per model."""
    head = html.Tr([html.Th(h) for h in ("Model", "Accuracy", "Agrees with base", "Flips", "Mean KL (bits)")])
    body = [
        html.Tr(
            [
                html.Td(r["model"] + (" (base)" if r["model"] == base else "")),
                html.Td(d3_format(".2%", r["accuracy"])),
                html.Td(d3_format(".1%", r["agreement"])),
                html.Td(str(r["flips"])),
                html.Td(d3_format(".4f", r["kl"])),
            ]
        )
        for r in rows
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="cc-table")


def _summary(models: list[str], base: str) -> list[dict]:
    eng = engine()
    probs = {m: eng.predictions(m)["probs"] for m in models}
    return model_summary(eng.dataset.labels, probs, base)


def layout(**query: str) -> html.Div:
    """Models and base from the URL; cached predictions are shown at once."""
    forest = experiment().forest
    models, base, dropped = parse_models(query.get("models"), query.get("base"), forest)
    notices = (
        [html.P(f"Unknown model ids dropped: {', '.join(dropped)}", className="cc-warn")] if dropped else []
    )
    if not models:
        return html.Div(
            [
                html.H2("Behaviors"),
                *notices,
                html.P(
                    "Select 2–16 models on the overview and press Behaviors, or open "
                    "/behaviors?models=a,b,c&base=a.",
                    className="cc-hint",
                ),
            ],
            className="cc-placeholder",
        )
    result, status = None, ""
    try:
        eng = engine()
        if all(eng.is_cached("predictions", m) for m in models):
            result, status = summary_table(_summary(models, base), base), "Loaded from cache."
    except (InspectorError, CacheError) as exc:
        status = str(exc)
    return html.Div(
        [
            dcc.Store(id=ids.BH_MODELS, data={"models": models, "base": base}),
            html.H2("Behaviors"),
            *notices,
            html.P(["Base: ", html.B(base), f" · {len(models)} models"], className="cc-hint"),
            job_controls(ids.BH_LOAD, ids.BH_CANCEL, ids.BH_PROGRESS, ids.BH_STATUS, "Load predictions"),
            html.Div(status, className="cc-status-line", id=f"{ids.BH_STATUS}-initial"),
            html.Div(result, id=ids.BH_RESULT),
        ],
        className="cc-placeholder cc-wide",
    )


@callback(
    Output(ids.BH_RESULT, "children"),
    Output(ids.BH_STATUS, "children"),
    Input(ids.BH_LOAD, "n_clicks"),
    State(ids.BH_MODELS, "data"),
    background=True,
    prevent_initial_call=True,
    progress=[Output(ids.BH_PROGRESS, "value"), Output(ids.BH_PROGRESS, "max")],
    running=[
        (Output(ids.BH_LOAD, "disabled"), True, False),
        (Output(ids.BH_CANCEL, "disabled"), False, True),
    ],
    cancel=[Input(ids.BH_CANCEL, "n_clicks")],
)
def load_predictions(set_progress, _clicks: int, state: dict) -> tuple:
    """Compute (or read) predictions model by model, with progress; errors are one line."""
    models, base = state["models"], state["base"]
    t0 = time.perf_counter()
    try:
        eng = engine()
        n = len(eng.dataset)
        total = n * len(models)
        for i, model_id in enumerate(models):
            eng.predictions(model_id, lambda done, _t, _m, i=i: set_progress((str(i * n + done), str(total))))
            set_progress((str((i + 1) * n), str(total)))
        rows = _summary(models, base)
    except (InspectorError, CacheError) as exc:
        return None, str(exc)
    return summary_table(rows, base), f"Predictions ready in {time.perf_counter() - t0:.1f} s."
