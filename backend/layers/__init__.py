"""Layer statistics of several models against a base: sparsity, weights and activations.

Why a package face: the Layers page (spec §1.10) shows, module by module, what compression
zeroed or changed. Pages, components and benchmarks import from here only; the modules behind
it are ``tensor_stats`` (the streaming kernel), ``pair_stats`` (one model against the base, what
the cache stores), ``summary`` (``LayerSummary``: the pairs on one module tree), ``service``
(cache keys, computing, loading), ``module_tree``, ``rows`` (what is visible), ``headline`` and
``instance`` (the per-input drill-down).
"""

from __future__ import annotations

from backend.layers.headline import metric_lines
from backend.layers.instance import (
    DIVERGENCE_THRESHOLD,
    InstanceDivergence,
    InstancePreview,
    activation_distance,
    compute_instance,
    instance_divergence,
    instance_preview,
    instance_ready,
    instance_row,
    load_instance,
)
from backend.layers.module_tree import PAGE_SIZE, Page, Row, Tree, build_tree, page_rows
from backend.layers.pair_stats import Progress, Stats, no_progress, pair_stats, self_stats
from backend.layers.rows import (
    HEATMAP_ROWS,
    HeatmapData,
    heatmap_data,
    match_modules,
    pattern_message,
    tree_page,
)
from backend.layers.service import (
    SOURCES,
    TENSOR_LABELS,
    TENSORS,
    compute,
    load_summary,
    ready,
    stats_key,
)
from backend.layers.summary import DISPLAY_BINS, LayerSummary
from backend.layers.tensor_stats import FIELDS, N_CHANGE, NOT_COMPARABLE, STATS_VERSION

__all__ = [
    "DISPLAY_BINS", "DIVERGENCE_THRESHOLD", "FIELDS", "HEATMAP_ROWS", "N_CHANGE", "NOT_COMPARABLE",
    "PAGE_SIZE", "SOURCES", "STATS_VERSION", "TENSORS", "TENSOR_LABELS", "HeatmapData", "InstanceDivergence",
    "InstancePreview", "LayerSummary", "Page", "Progress", "Row", "Stats", "Tree", "activation_distance",
    "build_tree", "compute", "compute_instance", "heatmap_data", "instance_divergence", "instance_preview",
    "instance_ready", "instance_row", "load_instance", "load_summary", "match_modules", "metric_lines",
    "no_progress", "page_rows", "pair_stats", "pattern_message", "ready", "self_stats", "stats_key",
    "tree_page",
]
