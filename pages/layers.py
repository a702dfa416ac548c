"""Layers: sparsity, weight and activation changes of up to 16 models against a base.

The URL is the view (``backend.viewstate.layers``: ``models``, ``base``, ``tensor``, ``view``,
``match``, ``sort``, ``page``, ``open``, ``sel``, ``module``, ``instance``). Statistics come from
``backend.layers``: shown at once when cached, else computed by the "Load layers" background
job with progress and cancel. The layout is built by ``components.layers.layout``.
"""

from __future__ import annotations

import dash
from dash import html

import pages._layers_callbacks as cb
from backend import layers
from backend.inference.protocol import InspectorError
from backend.infra.cache import CacheError
from backend.viewstate.layers import parse
from components.layers.layout import page_layout, placeholder
from server.context import engine, experiment

dash.register_page(__name__, path="/layers", title="Layers · Compress & Compare", name="Layers")


def layout(**query: str) -> html.Div:
    """The page for a URL; cached statistics are rendered at once, bad input is a notice."""
    view, notices = parse(query, experiment().forest)
    if not view.models:
        return placeholder(notices)
    status = ""
    try:
        cached = layers.ready(engine(), list(view.models), view.base, view.tensor)
        status = "Loaded from cache." if cached else ""
    except (InspectorError, CacheError) as exc:
        notices.append(str(exc))
    return page_layout(view, notices, status, cb.render(view), cb.instance_outputs(view))
