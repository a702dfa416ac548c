"""P1's baseline page: bare Dash, loading the same component bundles as ours and drawing nothing.

Why: the fixed cost of Dash, React, plotly.js, Cytoscape and AG Grid is paid by any app built
on them; a ratio against this page shows only what our pages add. The page mounts an empty
``dcc.Graph`` (so plotly.js loads, as our charts make it), an empty Cytoscape and an empty AG
Grid, with Dash's defaults (no compression, no assets). Served by gunicorn exactly as ours:
``gunicorn "benchmarks.p1_bare_app:create_server()"``.
"""

from __future__ import annotations

# what "drawn" means on this page: the graph's SVG, the Cytoscape instance and the grid
DRAWN_JS = ("document.querySelector('#bare-graph .main-svg')"
            " && document.querySelector('#bare-map')?._cyreg?.cy"
            " && document.querySelector('#bare-grid .ag-root')")


def create_app():
    """The bare page."""
    import dash_ag_grid as dag
    import dash_cytoscape as cyto
    from dash import Dash, dcc, html

    app = Dash(__name__)
    app.layout = html.Div([
        dcc.Graph(id="bare-graph", figure={"data": [], "layout": {}}),
        cyto.Cytoscape(id="bare-map", elements=[], layout={"name": "preset"}, style={"height": "300px"}),
        dag.AgGrid(id="bare-grid", rowData=[], columnDefs=[{"field": "a"}]),
    ])
    return app


def create_server():
    """WSGI entry for gunicorn."""
    return create_app().server
