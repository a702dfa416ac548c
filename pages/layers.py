"""Layers: sparsity, weight and activation changes across models (not built yet)."""

from __future__ import annotations

import dash
from dash import html

dash.register_page(__name__, path="/layers", title="Layers · Compress & Compare", name="Layers")


def layout(**query: str) -> html.Div:
    """Say plainly that this page is not built yet, and what it will show."""
    models = query.get("models", "")
    return html.Div([
        html.H2("Layers"),
        html.P("This page is not built yet. It will show, module by module, which weights "
               "compression zeroed or changed and how activations moved, for a base and up to "
               "16 models."),
        html.P(f"Models requested: {models}" if models else "No models requested.",
               className="cc-hint"),
    ], className="cc-placeholder")
