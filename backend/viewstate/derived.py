"""The derived metrics a URL defines: ``derived=name:expression;...`` of the Overview.

Why apart from ``backend.viewstate.overview``: the rest of the view names metrics, and which
metrics exist depends on these, so they are read first and the view is parsed against
``derived_forest(forest, derived)``, the forest the page draws. Name and expression are codec
tokens, so any name and any expression survive the round trip.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend.experiment.derived import DerivedMetric, extend
from backend.experiment.forest import ExperimentForest
from backend.experiment.messages import name as printable
from backend.viewstate.codec import unescape

NO_METRIC = "none"  # color=none: no colour metric (a metric cannot be called "none" in the URL)
MAX_DERIVED = 16  # derived metrics one URL may define

Derived = tuple[tuple[str, str], ...]  # (name, expression) pairs, in definition order


def store_derived(data: Sequence | None) -> Derived:
    """The derived metrics' store ([[name, expression], ...]) as pairs; anything else is dropped."""
    if not isinstance(data, list | tuple):
        return ()
    return tuple((p[0], p[1]) for p in data
                 if isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(v, str) for v in p))


def definitions(derived: Derived) -> tuple[DerivedMetric, ...]:
    """The URL's pairs as definitions (no format or unit: a page-defined metric shows as '.2g')."""
    return tuple(DerivedMetric(name, expr) for name, expr in derived)


def derived_forest(forest: ExperimentForest, derived: Derived) -> ExperimentForest:
    """The forest with the view's derived metrics (those still valid: a stale store cannot break it)."""
    if not derived:
        return forest
    return extend(forest, definitions(derived[:MAX_DERIVED])).forest


def parse_derived(text: str | None, forest: ExperimentForest, problems: list[str]) -> Derived:
    """'name:expression;...' (each a codec token): the valid definitions, in order; one problem
    (for ``codec.ignored``) per definition dropped."""
    pairs: list[tuple[str, str]] = []
    for part in (text or "").split(";"):
        if not part:
            continue
        bits = part.split(":")
        if len(bits) != 2:
            problems.append(f"derived metric '{printable(unescape(part))}' is not name:expression")
        elif unescape(bits[0]) == NO_METRIC:
            problems.append(f"derived metric '{NO_METRIC}': the URL writes '{NO_METRIC}' for no metric")
        else:
            pairs.append((unescape(bits[0]), unescape(bits[1])))
    if len(pairs) > MAX_DERIVED:
        problems.append(f"derived metrics after the first {MAX_DERIVED}")
        pairs = pairs[:MAX_DERIVED]
    rejected = dict(extend(forest, definitions(tuple(pairs))).rejected)
    problems += [f"derived metric '{printable(pairs[i][0])}': {why}" for i, why in rejected.items()]
    return tuple(p for i, p in enumerate(pairs) if i not in rejected)
