"""Figure, element and table builders, tested as pure functions without a server."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
from dash import html

from backend.experiment.loader import load_experiment
from backend.overview.collapse import compare_base
from backend.viewstate.links import detail_query
from backend.viewstate.overview import parse
from components.overview.details import details, hover_details
from components.overview.model_info import model_info_rows
from components.overview.model_map import STYLESHEET, grid_to_pixels, map_elements, node_sizes
from components.overview.page import overview_page, tab_options
from components.overview.scatter import scatter_figure, selection_patch
from components.overview.toolbar import compare_links
from components.shared import ids
from components.shared.nav import page_href
from pages._overview_outputs import first_view
from tests.conftest import reference_tree
from tests.support.renderer import find_component


@pytest.fixture(scope="module")
def imagenet():
    return load_experiment(reference_tree("imagenet.json")).forest


def _texts(component) -> list[str]:
    out = []
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    if children is None:
        return out
    for child in children if isinstance(children, list) else [children]:
        out.extend(_texts(child))
    return out


def test_map_elements_nodes_edges_headers(imagenet):
    positions = {m.id: (imagenet.depth(m.id), i) for i, m in enumerate(imagenet)}
    elements = map_elements(imagenet, positions, ["Base", "Step 1"], "Top-1 Accuracy", "Model Size")
    nodes = [e for e in elements if "source" not in e["data"] and "colhead" not in e.get("classes", "")]
    edges = [e for e in elements if "source" in e["data"]]
    heads = [e for e in elements if "colhead" in e.get("classes", "")]
    assert len(nodes) == 52 and len(edges) == 50 and [h["data"]["label"] for h in heads] == ["Base", "Step 1"]
    node = next(n for n in nodes if n["data"]["id"] == "resnet50trained")
    assert node["position"] == grid_to_pixels(*positions["resnet50trained"])
    assert node["data"]["color"].startswith("#") and 0.3 * 72 - 1e-9 <= node["data"]["size"] <= 72
    edge = next(e for e in edges if e["data"]["target"] == "resnet50trained-magnitudepruning50_compressed")
    parent_color = node["data"]["color"]
    assert edge["data"]["source"] == "resnet50trained" and edge["data"]["grad"].startswith(parent_color)


def test_node_sizes_follow_data_extent(imagenet):
    sizes = node_sizes(imagenet, "Model Size")
    assert sizes.min() == pytest.approx(0.3 * 72) and sizes.max() == pytest.approx(72)
    assert (node_sizes(imagenet, None) == 72).all()


def test_stylesheet_is_static_and_data_driven():
    node_style = next(r for r in STYLESHEET if r["selector"] == "node[color]")["style"]
    assert node_style["background-color"] == "data(color)" and node_style["width"] == "data(size)"


def test_scatter_marks_selection(imagenet):
    fig = scatter_figure(imagenet, "Latency", "Top-1 Accuracy", "Top-1 Accuracy", "Model Size",
                         ["resnet50trained"])
    fig = go.Figure(fig)  # validates the dict as Plotly would
    trace, overlay, front, flagged = fig.data
    assert front.name == "Pareto front" and len(front.x) == 0
    assert flagged.name == "flagged" and len(flagged.x) == 0  # no review flags given
    assert len(trace.x) == 52 and "resnet50trained" in list(trace.customdata)
    assert list(overlay.customdata) == ["resnet50trained"] and overlay.marker.line.color == "#60a5fa"
    assert list(overlay.x) == [imagenet["resnet50trained"].metrics["Latency"]]
    assert fig.layout.xaxis.title.text == "Latency" and trace.type == "scatter"
    assert "%{x:" in trace.hovertemplate and "%{y:.2%}" in trace.hovertemplate  # Plotly formats


def test_selection_patch_touches_only_the_overlay(imagenet):
    patch = selection_patch(imagenet, "Latency", "Top-1 Accuracy", ["resnet50trained", "ghost"])
    ops = patch.to_plotly_json()["operations"]
    assert {tuple(op["location"]) for op in ops} == {("data", 1, "x"), ("data", 1, "y"), ("data", 1, "customdata")}
    assert next(op for op in ops if op["location"][-1] == "customdata")["params"]["value"] == ["resnet50trained"]


def test_model_info_rows_change_vs_parent(imagenet):
    texts = _texts(html.Div(model_info_rows(imagenet, "resnet50trained-magnitudepruning50_compressed")))
    assert "OPERATION" in texts and "magnitude prune" in texts and "AMOUNT" in texts
    assert "Value (vs. parent)" in texts
    assert any(t.startswith(" (") and t.endswith("%)") for t in texts)  # relative change shown
    root_texts = _texts(html.Div(model_info_rows(imagenet, "resnet50trained")))
    assert "Value" in root_texts and "train" in root_texts


def test_layout_draws_the_compare_buttons_for_a_bookmarked_selection(imagenet):
    """A bookmarked /?sel=a,b can be compared at once: the layout computes the buttons too."""
    a, root = "resnet50trained-magnitudepruning50_compressed", "resnet50trained"
    view, notices = parse({"sel": f"{a},{root}"}, imagenet)
    page = overview_page(imagenet, first_view(imagenet, view), notices, [])
    behaviors, layers = find_component(page, ids.OV_BEHAVIORS), find_component(page, ids.OV_LAYERS)
    query = detail_query([a, root], compare_base(imagenet, [a, root]))
    assert query == f"?models={root}%2C{a}&base={root}"  # the base (closest to a root) first
    assert (behaviors.href, layers.href) == (page_href("behaviors", query), page_href("layers", query))
    assert behaviors.className == layers.className == "cc-button cc-primary"
    assert compare_links(imagenet, [a, root]) == (behaviors.href, layers.href, behaviors.className)


def test_compare_buttons_are_disabled_outside_2_to_16(imagenet):
    for selection in ([], ["resnet50trained"], imagenet.ids[:17], ["ghost", "resnet50trained"]):
        behaviors, layers, cls = compare_links(imagenet, selection)
        assert (behaviors, layers) == (page_href("behaviors"), page_href("layers")) and "cc-disabled" in cls
    view, _ = parse({}, imagenet)
    assert "cc-disabled" in find_component(overview_page(imagenet, first_view(imagenet, view), [], []),
                                 ids.OV_BEHAVIORS).className


def test_page_stores_notices_and_cards(imagenet):
    view, notices = parse({"sel": "resnet50trained,ghost", "tab": "filter", "budget": "Latency<=3"}, imagenet)
    page = overview_page(imagenet, first_view(imagenet, view), notices, ["resnet50trained"])
    # the budget excludes the selected model: the first view drops it, as the filter's callback did
    assert find_component(page, ids.OV_SELECTION).data == [] and find_component(page, ids.OV_FILTERED).data is not None
    view, _ = parse({"sel": "resnet50trained", "budget": "Latency<=20000"}, imagenet)
    assert find_component(overview_page(imagenet, first_view(imagenet, view), [], []), ids.OV_SELECTION).data == \
        ["resnet50trained"]
    assert find_component(page, ids.OV_BUDGETS).data == [{"metric": "Latency", "op": "<=", "value": 3.0}]
    assert find_component(page, ids.OV_FILTER_PANE).hidden is False and find_component(page, ids.OV_PARETO_PANE).hidden is True
    texts = _texts(find_component(page, ids.OV_NOTICE))
    assert texts[0] == "Unknown model ids in the URL were dropped: ghost" and "collapsed" in texts[1]
    assert _texts(html.Div(details(imagenet, ["resnet50trained"])))[0] == "1 Model Selected: resnet50trained"
    assert tab_options(imagenet, ["a", "b"])[1]["label"] == "Filter (2 of 52)"
    assert hover_details(imagenet, "resnet50trained", None, on_edge=False)[1] is False
    assert hover_details(imagenet, "resnet50trained", None, on_edge=True) == ([], True)
    assert hover_details(imagenet, None, {"target": "ghost"}, on_edge=True) == ([], True)


def test_every_node_states_its_classes_so_expanding_clears_collapsed(imagenet):
    """dash-cytoscape leaves the classes of a node whose "classes" key vanished: an expanded
    node would keep looking collapsed unless every node says "" explicitly."""
    positions = {m.id: (imagenet.depth(m.id), i) for i, m in enumerate(imagenet)}
    collapsed = map_elements(imagenet, positions, ["Base"], None, None, {"resnet50trained": 51})
    expanded = map_elements(imagenet, positions, ["Base"], None, None)
    nodes = lambda els: {e["data"]["id"]: e for e in els if "source" not in e["data"]}  # noqa: E731
    assert nodes(collapsed)["resnet50trained"]["classes"] == "collapsed"
    assert nodes(collapsed)["resnet50trained"]["data"]["badge"] == "+51"
    assert all(e["classes"] == "" for mid, e in nodes(expanded).items() if not mid.startswith("__col__"))
    head = next(r for r in STYLESHEET if r["selector"] == "node.colhead")["style"]
    assert head["display"] == "none"  # the labels are drawn as HTML (assets/cc_map_headers.js)
