"""The Behaviors page's layout is its first render: cached predictions are in it, nothing is
computed by opening it, and its callbacks do not run on page load (only Load starts a job)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.viewstate.behaviors import rows_key, view_to_dict
from components.shared import ids
from server import cli
from tests.support import tiny

MODELS = ("base", "child", "other")


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False)


def _find(component, ident) -> dict | None:
    """The props of the component with ``ident`` in a layout tree (as Dash serialises it)."""
    stack = [json.loads(_text(component))]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("props"), dict) and node["props"].get("id") == ident:
                return node["props"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


@pytest.fixture
def app(tmp_path: Path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    for seed, mid in enumerate(MODELS):
        tiny.save_linear(ckpt / f"{mid}.pt", seed=seed)
    config = tmp_path / "exp.yaml"
    config.write_text(
        "name: tiny first render\n"
        "models:\n"
        "  - {id: base, checkpoint: ckpt/base.pt, metrics: {Accuracy: 0.5}}\n"
        "  - {id: child, base: base, checkpoint: ckpt/child.pt, metrics: {Accuracy: 0.4}}\n"
        "  - {id: other, base: base, checkpoint: ckpt/other.pt, metrics: {Accuracy: 0.3}}\n"
        "metrics: [{name: Accuracy, primary: true}]\n"
        "inspector: {module: tests.support.tiny, class: TinyInspector, device: cpu, batch_size: 32}\n")
    return cli.create_app(config, tmp_path / "cache")


def test_first_render_shows_cached_predictions_and_computes_nothing(app):
    from pages import _behaviors_data as bd
    from pages import behaviors

    query = {"models": ",".join(MODELS), "base": "base"}
    with app.server.app_context():
        loads = tiny.CALLS["load"]
        empty = behaviors.layout(**query)
        assert tiny.CALLS["load"] == loads  # opening the page ran no model
        assert "Predictions of base, child, other are not computed yet." in _text(empty)
        assert _find(empty, ids.BH_TOOLBAR)["style"] == {"display": "none"}
        assert '"type": "behaviors-grid"' not in _text(empty)

        view = bd.open_view(query).view
        bd.load_predictions(view, lambda _done, _total: None)  # what the Load button's job does
        loads = tiny.CALLS["load"]
        page = behaviors.layout(**query)
        assert tiny.CALLS["load"] == loads  # read from the cache, nothing recomputed
    text = _text(page)
    assert "not computed" not in text and '"type": "behaviors-grid"' in text
    assert "Correctness" in json.dumps(_find(page, ids.BH_SUMMARY)["children"], default=str)
    assert _find(page, ids.BH_TOOLBAR)["style"] == {}
    assert _find(page, ids.BH_GRIDKEY)["data"] == rows_key(view)  # the first callback redraws nothing


def test_mode_the_comparison_lacks_is_disabled_in_the_first_render(app):
    from pages import behaviors

    with app.server.app_context():
        page = behaviors.layout(models="base,child", base="base", comparison="KL divergence", mode="absolute")
    assert "Ignored in the URL: mode='absolute' does not exist for 'KL divergence'" in _text(page)
    mode = _find(page, ids.BH_MODE)
    assert mode["value"] == "relative"
    assert [(o["value"], o["disabled"]) for o in mode["options"]] == [("absolute", True), ("relative", False)]


def test_page_load_runs_no_behaviors_callback_but_the_url(app):
    """Every callback whose inputs are on the page is skipped on page load, except writing the
    (corrected) URL: what the layout drew stands, and no job starts without the Load button."""
    deps = app.server.test_client().get("/_dash-dependencies").json  # what the renderer is told
    mine = [d for d in deps if any("behaviors-" in str(i["id"]) for i in d["inputs"])]
    assert len(mine) >= 6
    initial = [d["output"].split("@")[0] for d in mine if not d.get("prevent_initial_call")]
    assert initial == [f"{ids.URL}.search"], initial


def test_only_dashs_own_cancel_callback_listens_to_a_cancel_click(app):
    """dash-renderer attaches a running job to every callback on its cancel input; a second
    callback there left the job running in most browser tries, so the Behaviors empty state
    listens to the click's timestamp instead, and the "Cancelled" lines are the jobs' ``running``
    off values (tests/browser/test_behaviors_cancel.py cancels for real)."""
    deps = app.server.test_client().get("/_dash-dependencies").json
    cancels = (ids.BH_CANCEL, ids.LY_CANCEL, ids.LY_INST_CANCEL)
    on_click = [(i["id"], d["output"]) for d in deps for i in d["inputs"]
                if i["id"] in cancels and i["property"] == "n_clicks"]
    assert sorted(on_click) == sorted((c, f"{c}.id") for c in cancels)  # Dash's cancel_call only
    stamped = [i["id"] for d in deps for i in d["inputs"] if i["property"] == "n_clicks_timestamp"]
    assert stamped == [ids.BH_CANCEL]  # the empty state, refreshed after a cancel
    status = [d["output"] for d in deps if f"{ids.BH_STATUS}.children" in d["output"]]
    assert len(status) == 1  # only the job writes its status line


def test_instance_flags_filter_the_first_render_and_mark_the_rows(app):
    """Notes saved on two instances (one for this comparison, one for another): flagged=1 keeps
    the one of this comparison, its grid row carries the badge; other comparisons' notes do not
    count."""
    from pages import _behaviors_callbacks as cb
    from pages import _behaviors_data as bd
    from pages import behaviors
    from server import annotations as notes_server

    query = {"models": ",".join(MODELS), "base": "base", "level": "instance"}
    with app.server.app_context():
        view = bd.open_view(query).view
        bd.load_predictions(view, lambda _done, _total: None)
        store = notes_server.store()
        store.add("base", "regression", "", "anonymous", target="instance", instance_id="3", scope=bd.scope(view))
        store.add("base", "approved", "", "anonymous", target="instance", instance_id="4",
                  scope=bd.scope(view.with_(models=("base", "child"))))
        page = behaviors.layout(**query, flagged="1")
        summary = json.dumps(_find(page, ids.BH_SUMMARY)["children"], default=str)
        assert "Filtered Dataset" in summary and "1 instances" in summary
        assert _find(page, ids.BH_REVIEW)["value"] == "*"
        flagged = view.with_(flagged=True)
        [answer], _go, _pos = cb.serve_rows([{"startRow": 0, "endRow": 50}], view_to_dict(flagged), None)
        assert [(r["item"]["id"], r["item"].get("flag")) for r in answer["rowData"]] == [("3", "regression")]
        [every], _go, _pos = cb.serve_rows([{"startRow": 0, "endRow": 50}], view_to_dict(view), None)
        assert answer["rowCount"] == 1 and every["rowCount"] > 1
        assert {r["item"]["id"]: r["item"].get("flag") for r in every["rowData"]}["4"] is None


def test_a_database_that_is_down_leaves_the_rows_and_says_why_when_filtering(app, monkeypatch):
    from pages import _behaviors_data as bd
    from pages import behaviors
    from tests.support.gunicorn import free_port

    monkeypatch.setenv("CC_ANNOTATIONS_URL", f"postgresql+psycopg://cc@127.0.0.1:{free_port()}/cc")
    query = {"models": ",".join(MODELS), "base": "base", "level": "instance"}
    with app.server.app_context():
        bd.load_predictions(bd.open_view(query).view, lambda _done, _total: None)
        every = behaviors.layout(**query)
        flagged = behaviors.layout(**query, flagged="1")
    assert '"type": "behaviors-grid"' in _text(every) and "annotations:" not in _text(every)
    line = _find(flagged, ids.BH_EMPTY)["children"]["props"]["children"]
    assert line.startswith("annotations: postgresql+psycopg://cc@127.0.0.1:") and "\n" not in line
