"""The Overview's "New experiment…" control: an operation, its parameters (comma-separated
values make a sweep), Launch, progress, Cancel and a one-line status.

Built from the launcher's ``OperationSchema``s, so the form offers what the server accepts.
"""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html

from backend.launch.protocol import NumberParam, OperationSchema, Param
from components.shared import ids
from components.shared.store import store

HINT = "Several values separated by commas make a sweep: one run each (every combination)."


def _placeholder(param: Param) -> str:
    if isinstance(param, NumberParam):
        kind = "whole number" if param.integer else "number"
        return f"{kind} in [{param.min:g}, {param.max:g}], e.g. 0.3, 0.6" if not param.integer \
            else f"{kind} in [{param.min:g}, {param.max:g}]"
    return "one of " + ", ".join(str(c) for c in param.choices)


def parameter_inputs(op: OperationSchema | None) -> list:
    """One labelled text input per parameter, holding its default."""
    if op is None:
        return []
    if not op.parameters:
        return [html.Div("No parameters.", className="cc-hint")]
    return [
        html.Label([
            html.Span(param.name, className="cc-launch-name"),
            dcc.Input(id={"type": ids.OV_LAUNCH_PARAM, "name": param.name}, type="text",
                      value="" if param.default is None else str(param.default),
                      placeholder=_placeholder(param), className="cc-derived-input",
                      autoComplete="off", spellCheck=False),
        ], className="cc-launch-param", title=param.description or None)
        for param in op.parameters
    ]


def launch_control(operations: Sequence[OperationSchema], selection: Sequence[str]) -> html.Details:
    """The control, closed; hidden unless exactly one model is selected."""
    first = operations[0] if operations else None
    return html.Details(
        [
            html.Summary("New experiment…", className="cc-button cc-small"),
            html.Div(
                [
                    html.Div(base_line(selection), id=ids.OV_LAUNCH_BASE, className="cc-hint"),
                    dcc.Dropdown(id=ids.OV_LAUNCH_OP, options=[o.name for o in operations],
                                 value=first.name if first else None, clearable=False,
                                 className="cc-launch-op"),
                    html.Div(parameter_inputs(first), id=ids.OV_LAUNCH_PARAMS),
                    html.Div(HINT, className="cc-hint"),
                    html.Div([
                        html.Button("Launch", id=ids.OV_LAUNCH_GO, n_clicks=0,
                                    className="cc-button cc-small cc-primary"),
                        html.Progress(id=ids.OV_LAUNCH_PROGRESS, value="0", max="1", className="cc-progress"),
                        html.Button("Cancel", id=ids.OV_LAUNCH_CANCEL, n_clicks=0, disabled=True,
                                    className="cc-button cc-small"),
                    ], className="cc-job"),
                    html.Div(id=ids.OV_LAUNCH_STATUS, className="cc-derived-error"),
                    store(ids.OV_LAUNCH_PLAN, {}),
                    dcc.Location(id=ids.OV_LAUNCH_NAV, refresh="callback-nav"),
                ],
                className="cc-derived-panel",
            ),
        ],
        id=ids.OV_LAUNCH_BOX,
        className="cc-derived cc-launch",
        hidden=len(selection) != 1,
    )


def base_line(selection: Sequence[str]) -> str:
    """Which model a launch starts from."""
    return f"From model {selection[0]}" if len(selection) == 1 else "Select one model on the map"
