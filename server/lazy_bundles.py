"""A page loads only the component libraries it draws; the others load when first needed.

Why: Dash puts every imported component library's bundle in every page, and the renderer
starts only after all of them ran. The Overview draws no AG Grid (1.3 MB, ~40 ms of script
evaluation on this machine) and the detail pages no Cytoscape (0.5 MB, ~35–50 ms); Layers
draws neither. In the index page of such a page, that library's ``<script>`` becomes a
placeholder (``type="cc/lazy"``, which a browser neither fetches nor runs), and
``assets/cc_lazy.js`` gives its namespace stand-in components that load the bundle when one
first renders (after a move from the Overview to Behaviors, say). The bundle URLs stay Dash's
own fingerprinted ones, cached for a year.
"""

from __future__ import annotations

import re

import dash
from flask import has_request_context, request

from components.shared.nav import page_of

# the libraries that can wait, and the components each one provides
LAZY = {"dash_ag_grid": ("AgGrid",), "dash_cytoscape": ("Cytoscape",)}
# what each page draws when it opens (any other library loads on demand)
DRAWS = {"overview": {"dash_cytoscape"}, "behaviors": {"dash_ag_grid"}, "layers": set()}

_SCRIPT = re.compile(r'<script src="([^"]*/_dash-component-suites/(\w+)/[^"]*\.js)"></script>')


def placeholders(scripts: str, draws: set[str]) -> str:
    """The index's script tags with each lazy library the page does not draw made a placeholder."""

    def swap(match: re.Match) -> str:
        src, namespace = match.group(1), match.group(2)
        if namespace not in LAZY or namespace in draws:
            return match.group(0)
        return (f'<script type="cc/lazy" data-namespace="{namespace}" data-src="{src}" '
                f'data-components="{",".join(LAZY[namespace])}"></script>')

    return _SCRIPT.sub(swap, scripts)


def install(app: dash.Dash) -> None:
    """Make ``app``'s index pages load only the libraries their page draws."""
    interpolate = app.interpolate_index

    def index(**parts: str) -> str:
        if has_request_context():
            draws = DRAWS.get(page_of(request.path), set())
            parts["scripts"] = placeholders(parts.get("scripts", ""), draws)
        return interpolate(**parts)

    app.interpolate_index = index  # Dash's documented override point for the index page
