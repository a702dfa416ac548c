"""The Behaviors toolbar (level, class, comparison, mode, errors, clear, export) and the chips
that say which filters are on (pure builders)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from dash import dcc, html

from backend.viewstate.behaviors import ANY_STATUS, MODES, BehaviorView, modes, review_choice
from backend.viewstate.codec import encode_ids
from components.behaviors.events import ANY
from components.shared import ids

HIDDEN = {"display": "none"}


def level_label(view: BehaviorView) -> str:
    """The level button says where it goes."""
    return "Show All Instances" if view.level == "class" else "‹ Classes"


def class_box_style(view: BehaviorView) -> dict:
    """The class filter only applies to instances."""
    return HIDDEN if view.level == "class" else {}


def toolbar_state(view: BehaviorView) -> tuple[str, dict, int, int, str]:
    """The controls the view sets back: level label, class box style, class, errors and review
    values."""
    return (level_label(view), class_box_style(view),
            view.class_filter if view.class_filter is not None else ANY,
            view.wrong if view.wrong is not None else ANY, review_choice(view) or "")


def review_options(view: BehaviorView, statuses: Sequence[str]) -> list[dict]:
    """Every row, flagged only, one option per status, and the URL's own choice of several."""
    options = [{"label": "All rows", "value": ""}, {"label": "Flagged only", "value": ANY_STATUS}]
    options += [{"label": f"Flagged {s}", "value": encode_ids([s])} for s in statuses]
    chosen = review_choice(view)
    if chosen and chosen not in {o["value"] for o in options}:
        options.append({"label": "Flagged " + " or ".join(view.flag), "value": chosen})
    return options


def mode_options(comparison: str | None, relative_only: Collection[str] = ()) -> list[dict]:
    """Absolute and Relative; a mode the comparison does not have is disabled and its tooltip
    says why (MSE and KL divergence have no raw values, only the change against the base)."""
    allowed = modes(comparison, relative_only)
    out = []
    for mode in MODES:
        why = (f"{comparison} has no raw values, only the change against the base: Relative only"
               if mode not in allowed else
               ("Each model's own value" if mode == "absolute" else "The change against the base"))
        out.append({"label": mode.capitalize(), "value": mode, "disabled": mode not in allowed, "title": why})
    return out


def mode_state(view: BehaviorView, relative_only: Collection[str] = ()) -> tuple[list[dict], str]:
    """The mode control's options and value for a view (the value is always an allowed mode)."""
    allowed = modes(view.comparison, relative_only)
    return mode_options(view.comparison, relative_only), view.mode if view.mode in allowed else allowed[0]


def _control(label: str, control, **kwargs) -> html.Div:
    return html.Div([html.Span(label, className="cc-control-label"), control], className="cc-control",
                    **kwargs)


def toolbar(view: BehaviorView, comparisons: Sequence[str], class_names: Sequence[str],
            relative_only: Collection[str] = (), style: dict | None = None,
            statuses: Sequence[str] = ()) -> html.Div:
    """Hidden until predictions are loaded (``style``; the rows callback shows it); ``statuses``:
    the review statuses the review filter offers."""
    n = len(view.models)
    wrong_options = [{"label": "Any", "value": ANY}] + [
        {"label": f"exactly {k} of {n} wrong", "value": k} for k in range(n + 1)]
    class_options = [{"label": "All", "value": ANY}] + [
        {"label": c, "value": i} for i, c in enumerate(class_names)]
    _, box_style, class_value, wrong_value, review_value = toolbar_state(view)
    options, mode = mode_state(view, relative_only)
    return html.Div([
        html.Button(level_label(view), id=ids.BH_LEVEL, n_clicks=0, className="cc-button"),
        _control("Filter to class:", dcc.Dropdown(id=ids.BH_CLASS, options=class_options, value=class_value,
                                                  clearable=False, className="cc-dropdown"),
                 id=f"{ids.BH_CLASS}-box", style=box_style),
        _control("Comparison metric:", dcc.Dropdown(id=ids.BH_COMPARISON, options=list(comparisons),
                                                    value=view.comparison, clearable=False,
                                                    className="cc-dropdown")),
        dcc.RadioItems(id=ids.BH_MODE, options=options, value=mode, inline=True, className="cc-toggle"),
        _control("Errors:", dcc.Dropdown(id=ids.BH_WRONG, options=wrong_options, value=wrong_value,
                                         clearable=False, className="cc-dropdown")),
        _control("Review:", dcc.Dropdown(id=ids.BH_REVIEW, options=review_options(view, statuses),
                                         value=review_value, clearable=False, className="cc-dropdown",
                                         searchable=False),
                 title="Instances with review notes (Note ✎ on a row)"),
        html.Button("Clear filters", id=ids.BH_CLEAR, n_clicks=0, className="cc-button"),
        html.Button("Export CSV", id=ids.BH_EXPORT, n_clicks=0, className="cc-button"),
        dcc.Download(id=ids.BH_DOWNLOAD),
    ], className="cc-toolbar bh-toolbar", id=ids.BH_TOOLBAR, style=HIDDEN if style is None else style)


def filter_chips(view: BehaviorView, class_names: Sequence[str]) -> list[html.Span]:
    """One chip per filter that narrows the rows."""
    chips = []
    if view.level == "instance" and view.class_filter is not None:
        chips.append(f"class {class_names[view.class_filter]}")
    for m, lo, hi in view.brushes:
        chips.append(f"{m}: {lo:.3g} … {hi:.3g}")
    if view.wrong is not None:
        chips.append(f"exactly {view.wrong} of {len(view.models)} models wrong")
    if view.pair:
        chips.append(f"{view.pair[0]} and {view.pair[1]} disagree")
    if view.flagged:
        chips.append("flagged " + " or ".join(view.flag) if view.flag else "flagged only")
    return [html.Span(c, className="bh-chip") for c in chips]
