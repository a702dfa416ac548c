"""Every component id, defined once (kebab-case, page prefix) so a typo is an import error."""

from __future__ import annotations

URL = "app-url"
SNAPSHOT = "snapshot-export"  # the top bar's "Export snapshot" button (pages/_snapshot_callbacks.py)
SNAPSHOT_DOWNLOAD = "snapshot-download"  # its dcc.Download
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
# review notes of the selected model (pages/_annotation_callbacks.py)
OV_NOTES = "overview-notes"
OV_NOTE_LIST = "overview-note-list"
OV_NOTE_STATUS = "overview-note-status"
OV_NOTE_TEXT = "overview-note-text"
OV_NOTE_SAVE = "overview-note-save"
OV_NOTE_MESSAGE = "overview-note-message"
OV_NOTE_DELETE = "overview-note-delete"  # pattern: {"type", "id"}: a note's Delete button (its author's)
OV_FLAGS = "overview-flags"  # Store: {model id: latest review status}, drawn as rings on the map
OV_FLAGS_DRAWN = "overview-flags-drawn"  # the clientside ring painter's (hidden) output
NAV_ANNOTATIONS = "nav-annotations"  # the top bar's link to the list page (pages/annotations.py)
AN_TABLE = "annotations-table"
AN_EXPORT = "annotations-export"

BH_MODELS = "behaviors-models"
BH_LOAD = "behaviors-load"
BH_CANCEL = "behaviors-cancel"
BH_PROGRESS = "behaviors-progress"
BH_STATUS = "behaviors-status"
BH_RESULT = "behaviors-result"
BH_STATE = "behaviors-state"  # Store: the view (backend.viewstate.behaviors.view_to_dict)
BH_POS = "behaviors-pos"  # Store: {"sort", "page", "restore"} from the grid
BH_QUERY = "behaviors-query"  # Store: the URL's query as the page writes it (set on load)
BH_READY = "behaviors-ready"  # Store: bumped when predictions finished loading
BH_GRIDKEY = "behaviors-gridkey"  # Store: what the rows depend on (a change remounts the grid)
BH_HEADKEY = "behaviors-headkey"  # Store: what the histograms depend on
BH_LEVEL = "behaviors-level"
BH_CLASS = "behaviors-class"
BH_COMPARISON = "behaviors-comparison"
BH_MODE = "behaviors-mode"
BH_WRONG = "behaviors-wrong"
BH_CLEAR = "behaviors-clear"
BH_EXPORT = "behaviors-export"
BH_DOWNLOAD = "behaviors-download"
BH_GRID = "behaviors-grid"  # pattern: {"type", "key"}; a new key remounts the infinite grid
BH_HIST = "behaviors-hist"  # pattern: {"type", "model"}
BH_HISTS = "behaviors-hists"
BH_SUMMARY = "behaviors-summary"
BH_TABLE = "behaviors-table"
BH_FLIPS = "behaviors-flips"
BH_ATTRIBUTION = "behaviors-attribution"
BH_PAIR_CLEAR = "behaviors-pair-clear"
BH_EMPTY = "behaviors-empty"
BH_VIEW = "behaviors-view"
BH_FILTERS = "behaviors-filters"
BH_TOOLBAR = "behaviors-toolbar"
BH_EXTRAS = "behaviors-extras"
BH_REVIEW = "behaviors-review"  # the review filter: every row, flagged only, or one status
BH_NOTES = "behaviors-notes"  # the instance notes card (hidden until an instance's Note is pressed)
BH_NOTE_INSTANCE = "behaviors-note-instance"  # Store: the instance id the card is open on
BH_NOTE_HEAD = "behaviors-note-head"
BH_NOTE_LIST = "behaviors-note-list"
BH_NOTE_STATUS = "behaviors-note-status"
BH_NOTE_WHERE = "behaviors-note-where"  # this comparison or every comparison (global)
BH_NOTE_TEXT = "behaviors-note-text"
BH_NOTE_SAVE = "behaviors-note-save"
BH_NOTE_CLOSE = "behaviors-note-close"
BH_NOTE_MESSAGE = "behaviors-note-message"
BH_NOTE_DELETE = "behaviors-note-delete"  # pattern: {"type", "id"}: a note's Delete button (its author's)
BH_NOTE_SAVED = "behaviors-note-saved"  # Store: bumped after a save (the grid refreshes its rows)
BH_NOTE_REFRESHED = "behaviors-note-refreshed"  # the clientside grid refresher's (hidden) output
OV_HOVER = "overview-hover"
OV_COLLAPSED = "overview-collapsed"
# Store: the output of the clientside map callbacks (they return no_update); Dash fires a callback
# when a page mounts only through its outputs, so it must have one.
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
OV_EMPTY = "overview-empty"  # the empty state of an experiment with no models yet
OV_SCATTER_SLOT = "overview-scatter-slot"
OV_TAB = "overview-tab"  # RadioItems: "compare" | "filter" | "pareto"
OV_COMPARE = "overview-compare"  # the Compare tab's body (layout, then pages/_compare_callbacks.py)
OV_REFINE = "overview-refine"  # Store: the URL string of the refinement (backend/viewstate/refine.py)
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
OV_FRONT = "overview-front"  # Store: ids on the Pareto front (for the map), or []
OV_DERIVED = "overview-derived"  # Store: [[name, expression], ...] (backend/viewstate/derived.py)
OV_DERIVED_BOX = "overview-derived-box"  # the "+ Derived metric" control (a <details>)
OV_DERIVED_NAME = "overview-derived-name"
OV_DERIVED_EXPR = "overview-derived-expr"
OV_DERIVED_ADD = "overview-derived-add"
OV_DERIVED_ERROR = "overview-derived-error"  # the one-line reason an expression was refused
OV_DERIVED_REMOVE = "overview-derived-remove"  # pattern: {"type": ..., "index": i}
OV_NAVIGATE = "overview-navigate"  # page-local Location (refresh="callback-nav"): a new set of metrics

# Detail pages (Behaviors, Layers) share the sidebar; pattern ids carry {"page": ...}.
DETAIL_BASE = "detail-base"  # pattern: {"type", "page"}
DETAIL_REMOVE = "detail-remove"  # pattern: {"type", "page", "model"}
DETAIL_NAV = "detail-nav"  # pattern: page-local Location (refresh="callback-nav")

# Layers page (components/layers/layout.py, pages/_layers_callbacks.py, assets/cc_layers.js).
LY_STATE = "layers-state"  # Store: LayersView.to_store() (backend.viewstate.layers), mirrored in the URL
LY_EVENT = "layers-event"  # Store: row / sort / pager events from assets/cc_layers.js
LY_READY = "layers-ready"  # Store: bumped when a load job finished
LY_TENSOR = "layers-tensor"
LY_VIEW = "layers-view"  # RadioItems: "tree" | "heatmap"
LY_MATCH = "layers-match"
LY_MATCH_MSG = "layers-match-msg"
LY_LOAD = "layers-load"
LY_CANCEL = "layers-cancel"
LY_PROGRESS = "layers-progress"
LY_STATUS = "layers-status"
LY_NOTICE = "layers-notice"
LY_CONTENT = "layers-content"
LY_TREE = "layers-tree"
LY_PAGER = "layers-pager"
LY_PREV = "layers-prev"
LY_NEXT = "layers-next"
LY_HEATMAP = "layers-heatmap"
LY_DIST = "layers-dist"
LY_INSTANCE = "layers-instance"  # Input: dataset id of the drill-down instance
LY_INST_BOX = "layers-instance-box"
LY_INST_LOAD = "layers-instance-load"
LY_INST_CANCEL = "layers-instance-cancel"
LY_INST_PROGRESS = "layers-instance-progress"
LY_INST_STATUS = "layers-instance-status"
LY_INST_RESULT = "layers-instance-result"
LY_INST_KEY = "layers-instance-key"  # Store: the instance whose panel is shown

# The Overview's "New experiment…" control (components/overview/launch_control.py), when the
# config's launch: plug-in is set.
OV_LAUNCH_BOX = "overview-launch-box"  # the control (a <details>), hidden unless one model is selected
OV_LAUNCH_BASE = "overview-launch-base"  # the line naming the selected model
OV_LAUNCH_OP = "overview-launch-op"  # Dropdown: the operation
OV_LAUNCH_PARAMS = "overview-launch-params"  # the parameter inputs of the chosen operation
OV_LAUNCH_PARAM = "overview-launch-param"  # pattern: {"type": ..., "name": parameter}
OV_LAUNCH_GO = "overview-launch-go"
OV_LAUNCH_CANCEL = "overview-launch-cancel"
OV_LAUNCH_PROGRESS = "overview-launch-progress"
OV_LAUNCH_STATUS = "overview-launch-status"  # one line: running, the refusal, what was added
OV_LAUNCH_PLAN = "overview-launch-plan"  # Store: the checked runs the job starts from
OV_LAUNCH_NAV = "overview-launch-nav"  # page-local Location: the new models, selected
