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
