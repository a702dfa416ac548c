"""Each compared model's headline metric, shown under its column head on the Layers page.

Why: a column of weight changes means little without the model's quality beside it; the
headline is the Overview's default y metric (accuracy when there is one), so both pages agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from backend.experiment.forest import ExperimentForest
from backend.overview.encodings import default_encodings
from backend.present.formatting import format_metric


def metric_lines(forest: ExperimentForest, models: Sequence[str]) -> dict[str, str]:
    """model -> 'accuracy 91.2%' for the models that have the headline metric."""
    name = default_encodings([m.name for m in forest.primary_metrics]).get("y")
    spec = forest.metric(name) if name is not None else None
    if spec is None:
        return {}
    known = [m for m in models if m in forest]
    values = forest.column(name, known)
    return {m: f"{name} {format_metric(float(v), spec.format, spec.unit)}"
            for m, v in zip(known, values, strict=True) if not math.isnan(v)}
