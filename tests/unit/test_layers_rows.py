"""What the Layers page shows of a summary: filter, sort, pages, heatmap rows, headlines, instances."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from backend import layers
from backend.experiment.loader import load_experiment
from backend.inference.protocol import EvalDataset, InspectorError, RenderedInstance
from tests.support.bad_experiment import write_experiment
from tests.unit.test_layers import model_dicts


def _summary() -> layers.LayerSummary:
    model, base = model_dicts()
    base_self = layers.self_stats(base)
    return layers.LayerSummary("parameters", "b", ["b", "m"],
                               {"b": base_self, "m": layers.pair_stats(model, base, base_self)})


def _names(summary: layers.LayerSummary, page: layers.Page) -> list[str]:
    return [summary.tree.names[r.node] for r in page.rows]


def test_pattern_filters_and_reports_problems():
    summary = _summary()
    mask, message = layers.match_modules(summary, "CONV")  # case-insensitive, like the reference
    assert message == "" and [n for n, m in zip(summary.tree.names, mask, strict=True) if m][0] == "enc.conv"
    assert layers.match_modules(summary, "") == (None, "")
    mask, message = layers.match_modules(summary, "(")
    assert mask is None and message.startswith("Invalid regular expression")
    assert layers.pattern_message("(") == message and layers.pattern_message("a") == ""


def test_tree_page_roots_filter_sort_and_expand():
    summary = _summary()
    roots = layers.tree_page(summary, "weights", None, None, (), 1)
    assert _names(summary, roots) == ["enc", "head", "gone", "extra"]
    opened = layers.tree_page(summary, "weights", None, None, ("enc", "nope"), 1)
    assert _names(summary, opened)[:4] == ["enc", "enc.conv", "enc.norm", "head"]
    mask, _ = layers.match_modules(summary, "weight")
    filtered = layers.tree_page(summary, "weights", mask, None, (), 1)
    assert all("weight" in n for n in _names(summary, filtered)) and all(r.top for r in filtered.rows)
    ranked = layers.tree_page(summary, "sparsity", None, ("m", "desc"), (), 1)
    names = _names(summary, ranked)
    assert names[0] == "enc.conv" and set(names) == {summary.tree.names[i] for i in range(len(summary.tree))
                                                if summary.rankable[i]}
    keys = summary.change("m", "sparsity")
    finite = [keys[summary.tree.index[n]] for n in names if np.isfinite(keys[summary.tree.index[n]])]
    assert finite == sorted(finite, reverse=True)


def test_heatmap_data_limits_rows_and_opens_distributions():
    summary = _summary()
    data = layers.heatmap_data(summary, "weights", None, "enc")
    assert data.models == ["m"] and data.values.shape == (len(data.modules), 1) and data.total == len(data.modules)
    assert data.edges is not None and set(data.fractions) == {"b", "m"}
    cut = layers.heatmap_data(summary, "weights", None, "nope", limit=2)
    assert len(cut.modules) == 2 and cut.total > 2 and cut.edges is None
    alone = layers.LayerSummary("parameters", "b", ["b"], {"b": summary.stats["b"]})
    assert layers.heatmap_data(alone, "weights", None, "enc").models == []


def test_metric_lines_show_the_headline_metric(tmp_path: Path):
    forest = load_experiment(write_experiment(tmp_path, metric_names=("Top-1 Accuracy", "size"))).forest
    assert layers.metric_lines(forest, ["a", "b"]) == {"a": "Top-1 Accuracy 85.0%", "b": "Top-1 Accuracy 80.0%"}
    plain = load_experiment(write_experiment(tmp_path / "plain")).forest  # no accuracy: no y metric
    assert layers.metric_lines(plain, ["a"]) == {}


class _Engine:
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.dataset = EvalDataset(np.asarray([10, 11, 12]), np.asarray([0, 1, 0]), ["cat", "dog"])

    def render_instance(self, row: int) -> RenderedInstance:
        if self.fail:
            raise InspectorError("inspector: render_instance(1) broke")
        return RenderedInstance("image/png", b"\x89PNG")


def test_instance_row_and_preview():
    dataset = _Engine(False).dataset
    assert layers.instance_row(dataset, "11") == (1, "")
    assert layers.instance_row(dataset, "99") == (None, "Unknown instance id '99'.")
    assert layers.instance_row(dataset, None) == (None, "")
    shown = layers.instance_preview(_Engine(False), 1)
    assert shown == layers.InstancePreview("image/png", b"\x89PNG", "", "dog")
    broken = layers.instance_preview(_Engine(True), 1)
    assert broken.data is None and "broke" in broken.problem and broken.label == "dog"
