"""The load / progress / cancel strip that every lazy computation shows."""

from __future__ import annotations

from dash import html


def job_controls(load_id: str, cancel_id: str, progress_id: str, status_id: str,
                 label: str) -> html.Div:
    """A start button, a progress bar, a cancel button and a one-line status."""
    return html.Div([
        html.Button(label, id=load_id, n_clicks=0, className="cc-button cc-primary"),
        html.Progress(id=progress_id, value="0", max="1", className="cc-progress"),
        html.Button("Cancel", id=cancel_id, n_clicks=0, disabled=True, className="cc-button"),
        html.Span(id=status_id, className="cc-status"),
    ], className="cc-job")
