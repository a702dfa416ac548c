"""Every component id, defined once (kebab-case, page prefix) so a typo is an import error."""

from __future__ import annotations

URL = "app-url"
TOPBAR = "app-topbar"
NOTICE = "app-notice"

OV_MAP = "overview-map"
OV_SCATTER = "overview-scatter"
OV_COLOR = "overview-color"
OV_SIZE = "overview-size"
OV_X = "overview-x"
OV_Y = "overview-y"
OV_ARRANGE = "overview-arrange"
OV_SELECTION = "overview-selection"
OV_DETAILS = "overview-details"
OV_LEGEND = "overview-legend"
OV_COUNT = "overview-count"

BH_MODELS = "behaviors-models"
BH_LOAD = "behaviors-load"
BH_CANCEL = "behaviors-cancel"
BH_PROGRESS = "behaviors-progress"
BH_STATUS = "behaviors-status"
BH_RESULT = "behaviors-result"
OV_HOVER = "overview-hover"
OV_COLLAPSED = "overview-collapsed"
OV_SYNC = "overview-sync"
OV_HOVER_CARD = "overview-hover-card"
OV_EXPAND = "overview-expand"  # pattern id: {"type": OV_EXPAND, "how": "parents"|...}
OV_COLLAPSE = "overview-collapse"
OV_EXPAND_ALL = "overview-expand-all"
OV_SEARCH = "overview-search"
OV_SEARCH_RESULTS = "overview-search-results"
OV_SEARCH_HIT = "overview-search-hit"  # pattern id: {"type": OV_SEARCH_HIT, "id": model id}
OV_BEHAVIORS = "overview-behaviors"
OV_LAYERS = "overview-layers"
OV_NOTICE = "overview-notice"
OV_SCATTER_SLOT = "overview-scatter-slot"
OV_TAB = "overview-tab"  # RadioItems: "compare" | "filter" | "pareto"
OV_COMPARE = "overview-compare"  # the Compare tab's body (filled by pages/_compare_callbacks.py)
OV_REFINE = "overview-refine"  # Store: the URL string of the refinement (backend/refine_url.py)
OV_FILTERED = "overview-filtered"  # Store: ids passing filters and budgets, or None when none active
OV_FILTER_PANE = "overview-filter-pane"
OV_PARETO_PANE = "overview-pareto-pane"
OV_FILTER_ROWS = "overview-filter-rows"  # Store: [{"metric", "lo", "hi"}], lo/hi None when unbrushed
OV_FILTER_ADD = "overview-filter-add"
OV_FILTER_CLEAR = "overview-filter-clear"
OV_FILTER_METRIC = "overview-filter-metric"  # pattern: {"type": ..., "index": i}
OV_FILTER_REMOVE = "overview-filter-remove"  # pattern
OV_FILTER_HIST = "overview-filter-hist"  # pattern
OV_FILTER_UNBRUSH = "overview-filter-unbrush"  # pattern
OV_BUDGETS = "overview-budgets"  # Store: [{"metric", "op", "value"}]
OV_BUDGET_ADD = "overview-budget-add"
OV_BUDGET_FIELD = "overview-budget-field"  # pattern: {"type", "index", "field": metric|op|value}
OV_BUDGET_REMOVE = "overview-budget-remove"  # pattern
OV_PARETO = "overview-pareto"  # Store: {"a", "b", "max_a", "max_b", "show"}
OV_PARETO_FIELD = "overview-pareto-field"  # pattern: {"type": ..., "field": "a"|"b"|"max"|"show"}
OV_PARETO_READOUT = "overview-pareto-readout"
OV_FRONT = "overview-front"  # Store: ids on the Pareto front (for the map), or []
