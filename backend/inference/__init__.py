"""Lazy inference: the inspector plug-in API and cached computations over it."""

from backend.inference.protocol import (
    COMPARISON_KINDS,
    ComparisonSpec,
    EvalDataset,
    Inspector,
    InspectorError,
    RenderedInstance,
)

__all__ = ["COMPARISON_KINDS", "ComparisonSpec", "EvalDataset", "Inspector", "InspectorError",
           "RenderedInstance"]
