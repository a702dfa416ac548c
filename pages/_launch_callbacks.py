""""New experiment…" on the Overview: check a launch in the request, run it as a background job.

Why two steps: the check (signed in, one model selected, parameters inside the schema) needs the
request, which a background job (a forked process or a Celery worker) does not have; the job
checks the parameters again (``launch_one``), so a hand-made plan is refused as well. When the
job ends it navigates to the URL with the new models selected, so the router draws the page
again from the re-read models file (``server.context``), as a bookmark of it would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache

import flask
from dash import ALL, Input, Output, State, callback, no_update
from dash.exceptions import PreventUpdate

from backend.experiment.loader import Experiment
from backend.experiment.schema import LaunchSpec
from backend.launch import LaunchError, launch_one, parse_sweep, sweep
from backend.launch.loading import make_launcher
from backend.launch.params import MAX_RUNS, find_operation
from backend.launch.protocol import Launcher, OperationSchema
from backend.viewstate.overview import OverviewView
from components.overview.launch_control import base_line, parameter_inputs
from components.shared import ids
from pages._derived_callbacks import VIEW_STATE
from server.auth import auth_settings
from server.context import experiment

RUNNING = "Running… (Cancel stops the job; finished runs stay)"
CANCELLED = ("Cancelled: the run in progress stopped and was not added; runs finished before it "
             "were (reload the page to see them).")


@lru_cache(maxsize=4)
def _launcher(spec_json: str, folder: str) -> Launcher:
    """One launcher per config (per process): its operations are read on every page load."""
    return make_launcher(LaunchSpec.model_validate_json(spec_json), folder)


def launcher(exp: Experiment) -> Launcher | None:
    """The experiment's launcher, or None when the config does not enable one."""
    if exp.launch is None:
        return None
    return _launcher(exp.launch.model_dump_json(by_alias=True), str(exp.config_path.parent))


def launch_operations(exp: Experiment) -> list[OperationSchema] | None:
    """What "New experiment…" offers; None hides it."""
    found = launcher(exp)
    return None if found is None else found.operations()


def signed_in_user() -> str | None:
    """With authentication on, the signed-in user (None: nobody); with it off, "" (anyone)."""
    settings = auth_settings()
    if settings is None:
        return ""
    mode, value = settings
    if mode == "basic":
        credentials = flask.request.authorization
        return credentials.username if credentials is not None and credentials.username else None
    return flask.request.headers.get(value, "").strip() or None


@callback(
    Output(ids.OV_LAUNCH_BOX, "hidden"),
    Output(ids.OV_LAUNCH_BASE, "children"),
    Input(ids.OV_SELECTION, "data"),
    prevent_initial_call=True,
)
def show_control(selection: list[str] | None) -> tuple[bool, str]:
    """The control is for one selected model."""
    chosen = selection or []
    return len(chosen) != 1, base_line(chosen)


@callback(Output(ids.OV_LAUNCH_PARAMS, "children"), Input(ids.OV_LAUNCH_OP, "value"),
          prevent_initial_call=True)
def operation_inputs(operation: str | None) -> list:
    """The chosen operation's parameter inputs, holding their defaults."""
    found = launcher(experiment())
    if found is None:
        raise PreventUpdate
    try:
        return parameter_inputs(find_operation(found.operations(), operation))
    except LaunchError:
        return []


@callback(
    Output(ids.OV_LAUNCH_PLAN, "data"),
    Output(ids.OV_LAUNCH_STATUS, "children", allow_duplicate=True),
    Input(ids.OV_LAUNCH_GO, "n_clicks"),
    State(ids.OV_LAUNCH_OP, "value"),
    State({"type": ids.OV_LAUNCH_PARAM, "name": ALL}, "value"),
    State({"type": ids.OV_LAUNCH_PARAM, "name": ALL}, "id"),
    State(ids.OV_SELECTION, "data"),
    prevent_initial_call=True,
)
def plan(clicks: int, operation: str | None, values: list, names: list, selection: list | None) -> tuple:
    """Check the launch in the request; a refusal is one line and starts nothing."""
    if not clicks:
        raise PreventUpdate
    exp = experiment()
    found = launcher(exp)
    if found is None:
        return no_update, "This experiment's config does not enable launching (launch:)."
    if signed_in_user() is None:
        return no_update, "Sign in to launch experiments."
    chosen = selection or []
    if len(chosen) != 1 or chosen[0] not in exp.forest:
        return no_update, "Select exactly one model on the map to start from."
    try:
        op = find_operation(found.operations(), operation)
        texts = {n.get("name"): v for n, v in zip(names, values, strict=False) if isinstance(n, dict)}
        runs = sweep(op, parse_sweep(op, texts))
    except LaunchError as exc:
        return no_update, str(exc)
    # "at": a new plan each click, so launching the same sweep twice starts it twice
    return {"base": chosen[0], "operation": op.name, "runs": runs, "at": time.time()}, ""


@callback(
    Output(ids.OV_LAUNCH_NAV, "href"),
    Output(ids.OV_LAUNCH_STATUS, "children"),
    Input(ids.OV_LAUNCH_PLAN, "data"),
    State(ids.URL, "pathname"),
    *VIEW_STATE,
    background=True,
    prevent_initial_call=True,
    progress=[Output(ids.OV_LAUNCH_PROGRESS, "value"), Output(ids.OV_LAUNCH_PROGRESS, "max")],
    running=[
        (Output(ids.OV_LAUNCH_GO, "disabled"), True, False),
        (Output(ids.OV_LAUNCH_CANCEL, "disabled"), False, True),
        (Output(ids.OV_LAUNCH_STATUS, "children"), RUNNING, CANCELLED),
    ],
    cancel=[Input(ids.OV_LAUNCH_CANCEL, "n_clicks")],
)
def run_launch(set_progress: Callable[[tuple[str, str]], None], job: dict | None, pathname: str | None,
               *stores: object) -> tuple:
    """Run the plan's runs one after another (so they do not compete for the cores their latency
    is measured on), then show the new models selected."""
    if not isinstance(job, dict) or not job.get("runs"):
        raise PreventUpdate
    exp = experiment()
    found = launcher(exp)
    base = exp.forest[job["base"]] if found is not None and job.get("base") in exp.forest else None
    if found is None or base is None:
        return no_update, "Nothing launched: the model or the launcher is gone."
    runs = job["runs"] if isinstance(job["runs"], list) else []
    if len(runs) > MAX_RUNS:  # a hand-made plan: the form never sends more
        return no_update, f"{len(runs)} runs requested; at most {MAX_RUNS} at once"
    started, made, problem = time.perf_counter(), [], ""
    set_progress(("0", str(len(runs))))
    for i, params in enumerate(runs):
        try:
            made.append(launch_one(found, exp.models_path, base, str(job.get("operation")),
                                   params if isinstance(params, dict) else {}))
        except LaunchError as exc:
            problem = str(exc)
            break
        except Exception as exc:  # the plug-in failed: one line, the server keeps serving
            problem = f"{job.get('operation')}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            break
        set_progress((str(i + 1), str(len(runs))))
    if not made:
        return no_update, problem
    view = OverviewView.from_stores(*stores).with_(selection=tuple(made))  # type: ignore[arg-type]
    line = f"Added {', '.join(made)} in {time.perf_counter() - started:.1f} s."
    return (pathname or "/") + view.to_query(), (f"{line} Stopped: {problem}" if problem else line)
