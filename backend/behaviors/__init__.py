"""Behaviors page maths on the server: comparisons against a base, then class means, brushes,
sorting and paging over them, so the browser only ever receives one page of rows.

This module only re-exports the public API; the work lives in one module per purpose:
``vectors`` (per-instance comparison vectors, the chunked reduction), ``data`` (BehaviorData,
build_behavior_data), ``rows`` (a query's rows and their order), ``query`` (one page, summary,
histograms, CSV), ``flips`` (disagreement, attribution along the tree, significance),
``significance`` (the paired tests), ``store`` (derived arrays cached per model set) and
``page`` (what the page asks of the engine for one view).
"""

from __future__ import annotations

from backend.behaviors.data import CORRECTNESS, BehaviorData, ComparisonResult, build_behavior_data
from backend.behaviors.flips import (
    ROOT_LABEL,
    attribution_by_operation,
    flip_attribution,
    flip_matrix,
    operation_label,
    significance,
    wrong_counts,
)
from backend.behaviors.page import (
    FAILURES,
    Opening,
    attribution,
    behavior_query,
    comparison_names,
    export_csv,
    load_predictions,
    missing,
    open_view,
    path_models,
    ready,
    relative_only,
    render_instance,
    run,
    text_instances,
    view_data,
)
from backend.behaviors.query import QueryResult, query, rows_csv
from backend.behaviors.rows import PAGE_SIZE, BehaviorQuery
from backend.behaviors.significance import accuracy_delta_ci, mcnemar_p
from backend.behaviors.store import all_cached, behavior_data, derived_cached
from backend.behaviors.vectors import EPS, VALUELESS_KINDS, comparison_vectors, kl_divergence

__all__ = [
    "CORRECTNESS", "EPS", "FAILURES", "PAGE_SIZE", "ROOT_LABEL", "VALUELESS_KINDS", "BehaviorData",
    "BehaviorQuery",
    "ComparisonResult", "Opening", "QueryResult", "accuracy_delta_ci", "all_cached", "attribution",
    "attribution_by_operation", "behavior_data", "behavior_query", "build_behavior_data",
    "comparison_names", "comparison_vectors", "derived_cached", "export_csv", "flip_attribution",
    "flip_matrix", "kl_divergence", "load_predictions", "mcnemar_p", "missing", "open_view",
    "operation_label", "path_models", "query", "ready", "relative_only", "render_instance", "rows_csv", "run",
    "significance", "text_instances", "view_data", "wrong_counts",
]
