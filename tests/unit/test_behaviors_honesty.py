"""The Behaviors page says what is true: only the modes a comparison has, sort labels in the
server's order, the models whose predictions are missing, and no model run by a request."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backend.behaviors import VALUELESS_KINDS, comparison_vectors, missing, relative_only, run
from backend.behaviors import store as behavior_store
from backend.behaviors.vectors import _NEEDS
from backend.experiment.schema import InspectorSpec
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.infra.cache import ResultCache
from backend.viewstate.behaviors import BehaviorView, apply_action, modes, parse
from backend.viewstate.codec import IGNORED
from components.behaviors.grid import column_defs, sort_labels
from components.behaviors.sections import not_ready
from components.behaviors.toolbar import mode_state
from components.layers.table import SORT_SYMBOLS
from tests.support import tiny

COMPARISONS = ["Correctness", "KL divergence", "MSE"]
VALUELESS = ("KL divergence", "MSE")


def _parse(**query: str) -> tuple[BehaviorView, list[str]]:
    return parse({"models": "a,b", **query}, {"a", "b"}, comparisons=COMPARISONS, n_classes=3,
                 relative_only=VALUELESS)


def test_valueless_kinds_are_exactly_those_without_raw_values():
    rng = np.random.default_rng(0)
    probs = [rng.dirichlet(np.ones(4), size=5) for _ in range(2)]
    for kind in _NEEDS:
        _, value = comparison_vectors(kind, probs)
        assert (value is None) == (kind in VALUELESS_KINDS), kind


def test_a_url_asking_for_absolute_of_a_valueless_comparison_gets_a_notice_and_relative():
    view, notices = _parse(comparison="KL divergence", mode="absolute")
    assert view.mode == "relative" and "mode=relative" in view.to_query()
    assert notices == [IGNORED + "mode='absolute' does not exist for 'KL divergence' (it has no raw values, "
                                 "only the change against the base); showing relative"]
    view, notices = _parse(comparison="MSE")  # no mode asked: relative, nothing to report
    assert view.mode == "relative" and notices == []
    assert _parse(comparison="KL divergence", mode="relative") == (view.with_(comparison="KL divergence"), [])
    assert _parse(mode="absolute") == (BehaviorView(("a", "b"), "a"), [])  # Correctness has both
    again, notices = _parse(**dict(p.split("=") for p in view.to_query()[1:].split("&") if "models" not in p))
    assert again == view and notices == []


def test_the_reducer_never_picks_a_mode_the_comparison_lacks():
    view = BehaviorView(("a", "b"), "a", "Correctness", brushes=(("b", 0.0, 1.0),), page=3)
    kl = apply_action(view, "comparison", "KL divergence", relative_only=VALUELESS)
    assert kl == view.with_(comparison="KL divergence", mode="relative", brushes=(), page=0)
    assert apply_action(kl, "mode", "absolute", relative_only=VALUELESS) == kl  # refused, unchanged
    back = apply_action(kl, "comparison", "Correctness", relative_only=VALUELESS)
    assert back.mode == "relative" and apply_action(back, "mode", "absolute", relative_only=VALUELESS).mode == "absolute"
    assert modes("MSE", VALUELESS) == ("relative",) and modes("Correctness", VALUELESS) == ("absolute", "relative")


def test_the_mode_control_disables_what_does_not_exist_and_says_why():
    options, value = mode_state(BehaviorView(("a", "b"), "a", "MSE", mode="absolute"), VALUELESS)
    assert value == "relative"
    absolute, relative = options
    assert absolute["disabled"] and "MSE has no raw values" in absolute["title"] and not relative["disabled"]
    options, value = mode_state(BehaviorView(("a", "b"), "a", "Correctness"), VALUELESS)
    assert value == "absolute" and not any(o["disabled"] for o in options)


def test_sort_labels_say_what_the_server_sorts_by():
    assert sort_labels("relative") == {"desc": "↓ biggest change first", "asc": "↑ smallest change first",
                                       "none": "↕"}
    assert sort_labels("absolute")["desc"] == "↓ highest first" and sort_labels("absolute")["asc"] == "↑ lowest first"
    cols = column_defs(["a", "b"], "a", "class", "relative", ("b", "desc"))
    inner = cols[2]["headerComponentParams"]
    assert inner["innerHeaderComponent"] == "BhHeader" and inner["innerHeaderComponentParams"]["sortLabels"] == \
        sort_labels("relative")
    assert cols[2]["sort"] == "desc" and not cols[1]["sortable"]  # the base has no change to sort by
    assert SORT_SYMBOLS == {"desc": "↓ highest first", "asc": "↑ lowest first", None: "↕"}  # Layers: signed


def test_the_empty_state_names_the_models_not_computed():
    text = str(not_ready(missing=["m1", "m:2"]).to_plotly_json())
    assert "Predictions of m1, m:2 are not computed yet." in text
    assert "cannot start" in str(not_ready("cannot start").to_plotly_json())


@pytest.fixture
def eng(tmp_path: Path) -> Engine:
    behavior_store.clear_memory()
    inspector = make_inspector(InspectorSpec(module="tests.support.tiny", **{"class": "TinyInspector"},
                                             batch_size=32, device="cpu"))
    yield Engine(tiny.tiny_forest(tmp_path), inspector, ResultCache(tmp_path / "cache"))
    behavior_store.clear_memory()


def test_a_request_never_runs_a_model(eng):
    view = BehaviorView(("base", "child"), "base", "Correctness")
    assert relative_only(eng) == ("KL divergence", "Probabilities (MSE)")
    assert missing(eng, view) == ["base", "child"]
    loads = tiny.CALLS["load"]
    with pytest.raises(ValueError, match=r"predictions of 'base', 'child' are not computed yet"):
        run(eng, view)
    assert tiny.CALLS["load"] == loads and missing(eng, view) == ["base", "child"]
    eng.predictions("base")
    assert missing(eng, view) == ["child"]
