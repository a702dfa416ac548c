"""Pure builders of the Layers page: cells, tree table, pager and figures."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
from dash import html

from backend import layers
from backend.layers.module_tree import page_rows
from backend.viewstate.layers import LayersView
from components.layers.cells import CHANGE_COLORS, column_title, count, histogram_cell, sparsity_cell
from components.layers.heatmap import (
    clicked_module,
    distribution_figure,
    heatmap_block,
    heatmap_figure,
    instance_figure,
)
from components.layers.instance import instance_panel
from components.layers.layout import page_layout, placeholder
from components.layers.table import pager, tree_block, tree_table
from tests.unit.test_layers import model_dicts


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False)


def _view():
    model, base = model_dicts()
    base_self = layers.self_stats(base)
    return layers.LayerSummary("parameters", "b", ["b", "m"],
                            {"b": base_self, "m": layers.pair_stats(model, base, base_self)})


def test_sparsity_cells_captions():
    f = {"n": 100.0, "zeros": 60.0, "zeros_base": 10.0, "n_base": 100.0, "compared": 100.0,
         "zero_both": 10.0, "zero_model_only": 50.0, "zero_base_only": 0.0}
    text = _text(sparsity_cell("m", "b", f, is_base=False))
    assert "+50.0% zeros" in text and "50.0% zero in m but not base" in text and "40.0% nonzero in m" in text
    assert "10.0% zeros" in _text(sparsity_cell("b", "b", {**f, "zeros": 10.0}, is_base=True))
    assert "absent in m" in _text(sparsity_cell("m", "b", {**f, "n": 0.0}, is_base=False))


def test_histogram_cell_stacks_largest_change_at_bottom():
    counts = np.zeros((3, 7), dtype=np.int64)
    counts[1, 5], counts[1, 0] = 3, 1
    cell = histogram_cell(np.array([0.0, 0.1, 0.2, 0.3]), counts, "Δ: 1", stacked=True)
    text = _text(cell)
    assert f"{CHANGE_COLORS[5]} 0.0% 75.0%" in text and f"{CHANGE_COLORS[0]} 75.0% 100.0%" in text
    assert '"data-c": "1,0,0,0,0,3,0"' in text and '"data-n": "4"' in text
    title = column_title(np.array([0.0, 0.1, 0.2, 0.3]), counts, 1)
    assert title == "100.0% between 0.1 and 0.2\nchange < 20%: 25.0%\nchange ≥ 100%: 75.0%"
    assert count(1.5e9) == "1.5B"


def test_tree_table_and_pager():
    view = _view()
    tops = view.tree.roots
    page = page_rows(view.tree, tops, {view.tree.index["enc"]}, 1)
    for tensor in ("sparsity", "weights"):
        text = _text(tree_table(view, tensor, page, "enc", {"enc"}, ("m", "desc"), {"m": "Accuracy 90%"}))
        assert '"data-node": "enc.conv"' in text and "Accuracy 90%" in text and "↓" in text
        assert "parameters" in text
    weights = _text(tree_table(view, "weights", page_rows(view.tree, [view.tree.index["head.weight"]], set(), 1),
                               None, set(), None))
    assert "shape 10×32 → 10×16" in weights
    assert "Modules 1 – 4 of 4" in _text(pager(page, flat=True))
    assert len(tree_block(view, "sparsity", page, None, set(), None)) == 1
    assert "Relative change" in _text(html.Div(tree_block(view, "weights", page, None, set(), None)))


def test_figures_are_valid_plotly():
    view = _view()
    rows = [i for i in range(len(view.tree)) if view.rankable[i]]
    names = [view.tree.names[i] for i in rows]
    for tensor in ("sparsity", "weights"):
        fig = heatmap_figure(names, ["m"], view.heatmap(tensor, rows), tensor, names[0])
        pio.from_json(json.dumps(fig))
    edges, fractions = view.distributions(view.tree.index["enc"])
    pio.from_json(json.dumps(distribution_figure("enc", edges, fractions, "b")))
    pio.from_json(json.dumps(instance_figure(["a", "b"], {"m": [0.0, float("nan")]}, {"m": None}, 0.01)))


def test_heatmap_block_note_distributions_and_clicks():
    view = _view()
    data = layers.heatmap_data(view, "weights", None, "enc", limit=2)
    text = _text(html.Div(heatmap_block(data, "weights", "b")))
    assert "Showing the first 2 of" in text and '"id": "layers-heatmap"' in text and "Value distribution of enc" in text
    none = layers.heatmap_data(view, "weights", None, None)
    assert "Click a cell" in _text(html.Div(heatmap_block(none, "weights", "b")))
    alone = layers.HeatmapData([], [], np.zeros((0, 0)), 0, None, None, None)
    assert "Add a model besides the base" in _text(html.Div(heatmap_block(alone, "sparsity", "b")))
    assert clicked_module({"points": [{"y": "enc.conv"}]}) == "enc.conv"
    assert clicked_module(None) is None and clicked_module({"points": []}) is None


def test_instance_panel_shows_preview_and_first_divergence():
    result = layers.InstanceDivergence(["l1", "l2"], {"m": [0.0, 0.5], "n": [0.0, 0.001]}, {"m": "l2", "n": None},
                                       0.01)
    ok = _text(html.Div(instance_panel("7", result, layers.InstancePreview("image/png", b"png", "", "dog"))))
    assert "data:image/png;base64,cG5n" in ok and "Instance 7" in ok and " · label dog" in ok
    assert "first diverges at " in ok and "(distance 0.500)" in ok and "stays within 1% of the base" in ok
    text = _text(html.Div(instance_panel("7", result, layers.InstancePreview("text/plain", "a review", "", None))))
    assert "a review" in text and "label" not in text
    broken = _text(html.Div(instance_panel("7", result, layers.InstancePreview(None, None, "it broke", None))))
    assert "cannot render the instance: it broke" in broken


def test_page_layout_keeps_ids_and_the_store_shape():
    view = LayersView(("b", "m"), "b", "weights", match="(")
    page = page_layout(view, ["Ignored in the URL: x"], "Loaded from cache.", ([], [], "bad", "cc-ly-input"))
    text = _text(page)
    for component_id in ("layers-state", "layers-event", "layers-ready", "layers-instance-key", "layers-tensor",
                         "layers-instance", "layers-notice", "layers-load", "layers-status-initial",
                         "layers-instance-box", "layers-match", "layers-match-msg", "layers-view",
                         "layers-content", "layers-pager"):
        assert f'"id": "{component_id}"' in text, component_id
    assert "Ignored in the URL: x" in text and "Loaded from cache." in text
    assert '"view": "tree"' in text and '"sort": ""' in text
    empty = _text(placeholder(["Unknown model ids in the URL were dropped: z"]))
    assert "Select 1–16 models" in empty and "/layers?models=a,b,c&base=a." in empty and "dropped: z" in empty
