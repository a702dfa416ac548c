"""What the Behaviors callbacks draw from one query result: the summary and the grid, the
histograms, flip matrix and attribution, and one page of grid rows (pure builders)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from dash import html

from backend.behaviors import ComparisonResult, QueryResult
from backend.viewstate.behaviors import BehaviorView, rows_key
from backend.viewstate.links import detail_query
from components.behaviors.extras import attribution_table, flip_figure
from components.behaviors.grid import grid, item_width, page_rows, value_format
from components.behaviors.header import histogram_strip, summary_row
from components.shared import ids
from components.shared.nav import page_href


def not_ready(message: str | None = None, missing: Sequence[str] = ()) -> html.Div:
    """The empty state: which models' predictions are not computed (or the one line of why they
    cannot be); nothing is computed until "Load predictions" is pressed."""
    which = (f"Predictions of {', '.join(missing)} are not computed yet." if missing else
             "Predictions for the selected comparison are not computed yet.")
    return html.Div([
        html.H3("No predictions yet"),
        html.P(message or f"{which} Click “Load predictions” above to compute them (they are cached "
               "for everyone afterwards).", className="cc-hint"),
    ], className="bh-empty")


def _format(comp: ComparisonResult, result: QueryResult) -> str:
    return value_format(comp.options, result.mode == "relative", comp.has_value)


def rows_section(view: BehaviorView, comp: ComparisonResult, result: QueryResult, significance: dict,
                 sort: tuple[str, str] | None, text: bool = False) -> tuple[html.Div, object]:
    """The Dataset summary row and a fresh grid (its id carries the rows key, so it remounts);
    ``text``: the instances are text (a wider first column that wraps)."""
    summary = summary_row(view.models, view.base, result.mode, result.summary, result.n_instances,
                          view.filtered, view.comparison, _format(comp, result), comp.has_value,
                          significance, comp.options.get("format") or ".3~g", item_width(view.level, text))
    table = grid({"type": ids.BH_GRID, "key": rows_key(view)}, view.models, view.base, view.level,
                 result.mode, sort, text)
    return summary, table


def head_section(view: BehaviorView, comp: ComparisonResult, result: QueryResult, flips: np.ndarray,
                 attributions: list[tuple[str, list[dict]]] | None,
                 text: bool = False) -> tuple[html.Div, dict, object]:
    """Histograms (class-filtered, never brushed), the flip matrix and the attribution tables."""
    rel = result.mode == "relative"
    xlabel = f"Change in {view.comparison}" if rel and comp.has_value else view.comparison
    strip = histogram_strip(ids.BH_HIST, view.models, view.base, result.mode, result.histograms,
                            result.domain, result.diverging, xlabel, view.brush_map(),
                            item_width(view.level, text))
    figure = flip_figure(list(view.models), flips, view.pair)
    if attributions is None:
        attr = html.P("Load predictions to compute the models on the paths from the roots.",
                      className="cc-hint")
    else:
        attr = [attribution_table(m, rows) for m, rows in attributions]
    return strip, figure, attr


def layers_link(models: Sequence[str], base: str | None, instance: str) -> str:
    """The Layers page on one instance's activations, comparing the same models and base."""
    return page_href("layers", detail_query(models, base, tensor="activations", instance=instance))


def grid_rows(view: BehaviorView, comp: ComparisonResult, result: QueryResult,
              render: Callable[[int], dict], flags: Mapping[str, str] | None = None) -> list[dict]:
    """One page of grid rows; at the instance level each has its picture, its Layers link and
    its latest review status (``flags``: instance id -> status)."""
    instances = view.level == "instance"
    return page_rows(result.rows, view.level, view.models, view.base, result.mode, result.domain,
                     result.diverging, _format(comp, result), view.comparison, comp.has_value,
                     render=render if instances else None, value_fmt=comp.options.get("format") or ".3~g",
                     link=(lambda i: layers_link(view.models, view.base, i)) if instances else None,
                     flags=flags if instances else None)
