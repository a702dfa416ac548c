"""The first layout's map already carries the classes the clientside callbacks give it at load
(faded and frontier from ``fadeFiltered``, the review flags from ``flagMap``), so the live map is
not restyled and redrawn before the page is complete."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.experiment.loader import load_experiment
from backend.viewstate.overview import parse
from components.overview.model_map import map_drawing, with_view_classes
from components.overview.page import overview_page
from components.shared import ids
from pages._overview_outputs import first_view
from tests.support.forests import synthetic_models_doc
from tests.support.renderer import find_component


@pytest.fixture(scope="module")
def forest(tmp_path_factory):
    path = tmp_path_factory.mktemp("classes") / "forest.json"
    path.write_text(json.dumps(synthetic_models_doc(40, roots=2)))
    return load_experiment(path).forest


def _classes(element: dict) -> set[str]:
    return set(element.get("classes", "").split())


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_classes_are_those_fade_filtered_and_flag_map_would_set(forest, data):
    elements = map_drawing(forest, None, None, "op", [])
    before = copy.deepcopy(elements)
    ids_ = [m.id for m in forest]
    passing = data.draw(st.none() | st.lists(st.sampled_from(ids_), unique=True))
    front = data.draw(st.lists(st.sampled_from(ids_), unique=True))
    flags = data.draw(st.dictionaries(st.sampled_from(ids_), st.sampled_from(["regression", "Needs review!", "ok"])))
    out = with_view_classes(elements, passing, front, flags)
    assert elements == before  # the memoised drawing is not touched
    assert len(out) == len(elements)
    faded = {mid for mid in ids_ if passing is not None and mid not in passing}
    for old, new in zip(elements, out, strict=True):
        extra = _classes(new) - _classes(old)
        assert _classes(old) <= _classes(new) and {k: v for k, v in new.items() if k != "classes"} == \
            {k: v for k, v in old.items() if k != "classes"}
        data_ = new["data"]
        if "source" in data_:
            assert extra == ({"faded"} if {data_["source"], data_["target"]} & faded else set())
        elif old["classes"] == "colhead":
            assert extra == set()
        else:
            mid = data_["id"]
            want = ({"faded"} if mid in faded else set()) | ({"frontier"} if mid in front else set())
            if mid in flags:
                slug = {"regression": "regression", "Needs review!": "needs-review", "ok": "ok"}[flags[mid]]
                want |= {"flagged", f"flag-{slug}"}
            assert extra == want


def test_the_page_layout_draws_its_filter_and_front_into_the_map(forest):
    view, _ = parse({"filter": "Accuracy:0.85:1", "pareto": "Accuracy:max,Latency:min"}, forest)
    first = first_view(forest, view)
    assert first.passing is not None and 0 < len(first.passing) < len(forest) and first.front
    elements = find_component(overview_page(forest, first, [], []), ids.OV_MAP).elements
    nodes = {e["data"]["id"]: _classes(e) for e in elements if "source" not in e["data"]}
    assert {mid for mid, c in nodes.items() if "faded" in c} == {m.id for m in forest} - set(first.passing)
    assert {mid for mid, c in nodes.items() if "frontier" in c} == set(first.front)
