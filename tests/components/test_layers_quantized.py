"""The Layers tree marks quantized layers: an 'int8' badge in the model's cells and header."""

from __future__ import annotations

import json

from backend import layers
from backend.layers.module_tree import page_rows
from components.layers.cells import quant_badge
from components.layers.table import header, row_cells, tree_table
from tests.unit.test_layers import model_dicts

QUANTIZED = {"m": {"enc.conv": "int8 (per-tensor, scale 0.00306)",
                   "head": "int8 (per-channel, 10 scales 0.001–0.002)"}}


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False)


def _summary(quantized: dict | None = QUANTIZED) -> layers.LayerSummary:
    model, base = model_dicts()
    base_self = layers.self_stats(base)
    return layers.LayerSummary("parameters", "b", ["b", "m"],
                               {"b": base_self, "m": layers.pair_stats(model, base, base_self)}, quantized)


def _badges(component) -> list[tuple[str, str]]:
    """(text, title) of every badge in a rendered component."""
    found = []

    def walk(node) -> None:
        if isinstance(node, dict):
            props = node.get("props", {})
            if "cc-ly-badge" in str(props.get("className", "")):
                found.append((props["children"], props["title"]))
            for value in props.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(_text(component)))
    return found


def test_quantized_at_marks_modules_weights_and_parents():
    s = _summary()
    at = {name: s.quantized_at("m", s.tree.index[name]) for name in s.tree.names}
    assert at["enc.conv"] == ("int8", "m stores enc.conv as int8 (per-tensor, scale 0.00306)")
    assert at["enc.conv.weight"][0] == "int8" and at["enc.conv.bias"] is None  # the bias stays float
    assert at["enc"][0] == "int8 ×1" and "enc.conv" in at["enc"][1]
    assert at["head"][0] == at["head.weight"][0] == "int8"
    assert at["enc.norm"] is None and at["gone"] is None
    assert all(s.quantized_at("b", i) is None for i in range(len(s.tree)))
    assert all(_summary(None).quantized_at("m", i) is None for i in range(len(s.tree)))


def test_cells_and_header_show_the_badge_for_the_quantized_model_only():
    s = _summary()
    conv = s.tree.index["enc.conv.weight"]
    for tensor in ("sparsity", "weights"):
        b_cell, m_cell = row_cells(s, tensor, conv, s.models)
        assert _badges(b_cell) == []
        assert _badges(m_cell) == [("int8", "m stores enc.conv.weight as int8 (per-tensor, scale 0.00306)")]
    assert _badges(row_cells(s, "weights", s.tree.index["enc.norm.weight"], s.models)[1]) == []
    head = _badges(header(s.models, s.base, "weights", None, None, s.quantized))
    assert head == [("int8", "m stores 2 modules quantized: enc.conv, head")]
    page = page_rows(s.tree, s.tree.roots, {s.tree.index["enc"]}, 1)
    table = _badges(tree_table(s, "weights", page, None, {"enc"}, None))
    assert ("int8 ×1", "m: 1 quantized module below enc: enc.conv") in table and ("int8", head[0][1]) in table
    assert _badges(tree_table(_summary(None), "weights", page, None, {"enc"}, None)) == []
    assert quant_badge(None) is None
