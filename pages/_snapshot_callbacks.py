"""The top bar's "Export snapshot" button: the page's current URL as one self-contained HTML file.

Why the top bar: every page keeps its whole view in the URL, so one button serves the Overview,
Behaviors and Layers alike; the file is the CLI's (``python app.py --snapshot URL``), built by
``pages._snapshot`` from cached results only, so a click never starts a computation.
"""

from __future__ import annotations

import re
from datetime import datetime

from dash import Input, Output, State, callback, dcc
from dash.exceptions import PreventUpdate

from components.shared import ids
from components.shared.nav import page_of
from pages._snapshot import snapshot_html
from server.context import experiment

PATHS = {"overview": "/", "behaviors": "/behaviors", "layers": "/layers"}


def file_name(name: str, page: str, when: datetime) -> str:
    """'digits-demo-overview-20250304-0506.html': safe on every file system."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "experiment"
    return f"{slug}-{page}-{when:%Y%m%d-%H%M}.html"


@callback(
    Output(ids.SNAPSHOT_DOWNLOAD, "data"),
    Input(ids.SNAPSHOT, "n_clicks"),
    State(ids.URL, "pathname"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def export_snapshot(clicks: int | None, pathname: str | None, search: str | None) -> dict:
    """The file of the URL shown; the URL's notices go into its header rather than failing."""
    if not clicks:
        raise PreventUpdate
    page = page_of(pathname)
    current = experiment()
    when = datetime.now().astimezone()
    text = snapshot_html(current, PATHS[page] + (search or ""), now=when)  # not strict: never raises
    return dcc.send_string(text, file_name(current.forest.name, page, when), "text/html")
