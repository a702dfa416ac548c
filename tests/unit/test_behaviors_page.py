"""What the Behaviors page asks of the engine (backend.behaviors.page), on the tiny real engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.behaviors import (
    ROOT_LABEL,
    attribution,
    export_csv,
    load_predictions,
    open_view,
    path_models,
    ready,
    render_instance,
    run,
)
from backend.behaviors import store as behavior_store
from backend.experiment.schema import InspectorSpec
from backend.inference import InspectorError
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.infra.cache import ResultCache
from backend.viewstate.behaviors import BehaviorView
from backend.viewstate.codec import IGNORED, UNKNOWN_IDS
from tests.support import tiny


@pytest.fixture
def forest(tmp_path: Path):
    return tiny.tiny_forest(tmp_path)


@pytest.fixture
def eng(forest, tmp_path: Path) -> Engine:
    behavior_store.clear_memory()
    inspector = make_inspector(InspectorSpec(module="tests.support.tiny", **{"class": "TinyInspector"},
                                             batch_size=32, device="cpu"))
    yield Engine(forest, inspector, ResultCache(tmp_path / "cache"))
    behavior_store.clear_memory()


def _no_engine() -> Engine:
    raise InspectorError("this experiment has no inspector")


def test_open_view_without_a_known_model_never_asks_the_engine(forest):
    opened = open_view({"models": "ghost", "mode": "zz"}, forest, _no_engine)
    assert opened.view is None and opened.error is None and opened.notices == [UNKNOWN_IDS + "ghost"]


def test_open_view_reports_an_engine_that_cannot_start(forest):
    opened = open_view({"models": "base,child,ghost"}, forest, _no_engine)
    assert opened.view is None and opened.error == "this experiment has no inspector"
    assert opened.notices == [UNKNOWN_IDS + "ghost"]


def test_open_view_parses_the_rest_and_defaults_the_comparison(forest, eng):
    opened = open_view({"models": "child,base", "base": "base", "mode": "zz", "class": "1"}, forest, lambda: eng)
    assert opened.view == BehaviorView(("base", "child"), "base", opened.comparisons[0], class_filter=1)
    assert opened.comparisons[0] == "Correctness" and opened.class_names == ("a", "b", "c")
    assert opened.notices == [IGNORED + "mode='zz' is not absolute or relative; ignored"]


def test_load_then_rows_attribution_and_csv(forest, eng):
    view = BehaviorView(("base", "child", "other"), "base", "Correctness", level="instance")
    assert not ready(eng, view) and attribution(eng, forest, view) is None
    seen: list[tuple[int, int]] = []
    seconds = load_predictions(eng, forest, view, lambda done, total: seen.append((done, total)))
    assert seconds >= 0 and seen[-1] == (300, 300) and ready(eng, view)
    assert path_models(forest, view) == ["base", "child", "other"]
    _, result = run(eng, view, ("child", "asc"), 1)
    assert result.total == tiny.N and result.page == 1 and len(result.rows) == tiny.N - 50
    attrs = attribution(eng, forest, view)
    assert [m for m, _ in attrs] == ["child", "other"]
    assert [r["operation"] for r in attrs[0][1]] == [ROOT_LABEL]  # tiny's models name no operation
    text, name = export_csv(eng, view.with_(comparison="KL divergence"), None)
    assert name == "behaviors-instance-KL_divergence.csv" and len(text.splitlines()) == tiny.N + 1


def test_render_instance_text_and_failure(eng, monkeypatch):
    assert render_instance(eng, 3) == {"text": "instance 3"}

    def broken(_index):
        raise InspectorError("inspector: render_instance(3) failed")

    monkeypatch.setattr(eng, "render_instance", broken)
    assert render_instance(eng, 3) == {"text": "cannot render: inspector: render_instance(3) failed"}
