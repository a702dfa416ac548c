"""The forest the Overview draws: the experiment's, with its derived metrics and the URL's.

Why one place: the page's layout and every callback that reads a metric must see the same
metrics (``backend.experiment.derived``): the built-in changes, the config's
``derived_metrics`` and the view's own (``ids.OV_DERIVED``). Each is computed once per
(forest, definitions) and shared.
"""

from __future__ import annotations

from backend.experiment.derived import with_derived
from backend.experiment.forest import ExperimentForest
from backend.viewstate.derived import derived_forest, store_derived
from server.context import experiment


def base_forest() -> ExperimentForest:
    """The experiment's forest with the built-in and the configured derived metrics."""
    current = experiment()
    return with_derived(current.forest, current.derived)


def view_forest(derived: list | None) -> ExperimentForest:
    """The base forest with the view's derived metrics (the ``ids.OV_DERIVED`` store's)."""
    return derived_forest(base_forest(), store_derived(derived))
