"""Structured pruning on Layers: kept channels found by weight similarity, on a real narrowed CNN."""

from __future__ import annotations

import itertools

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from backend.layers import LayerSummary
from backend.layers.channel_match import match_channels, monotone_match, narrower_axes
from backend.layers.pair_stats import pair_stats, self_stats
from backend.layers.tensor_stats import F


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(0, 3), st.integers(0, 10_000))
def test_monotone_match_is_the_best_increasing_assignment(m: int, extra: int, seed: int):
    score = np.random.default_rng(seed).standard_normal((m, m + extra)).astype(np.float32)
    got = monotone_match(score)
    assert len(got) == m and np.all(np.diff(got) > 0) and got.min() >= 0 and got.max() < m + extra
    best = max(sum(score[i, j] for i, j in enumerate(cols))
               for cols in itertools.combinations(range(m + extra), m))
    assert np.isclose(sum(score[i, j] for i, j in enumerate(got)), best, atol=1e-4)


def test_narrower_axes_says_which_changes_are_structured_pruning():
    assert narrower_axes((12, 16, 3, 3), (16, 16, 3, 3)) == [0]
    assert narrower_axes((12, 8, 3, 3), (16, 16, 3, 3)) == [0, 1]
    assert narrower_axes((16, 16), (16, 16)) is None  # same shape
    assert narrower_axes((20, 16), (16, 16)) is None  # wider: not pruning
    assert narrower_axes((16,), (4, 4)) is None  # reshaped
    assert narrower_axes((8, 8, 2), (16, 16, 3)) is None  # three axes


def test_a_conv_pruned_on_both_axes_and_fine_tuned_is_matched():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    out, inp = np.sort(rng.choice(32, 20, replace=False)), np.sort(rng.choice(16, 10, replace=False))
    model = base[out][:, inp] + 0.3 * rng.standard_normal((20, 10, 3, 3)).astype(np.float32)
    match = match_channels(model, base)
    assert match is not None
    assert np.array_equal(match.kept[0], out) and np.array_equal(match.kept[1], inp)
    assert match.select(base).shape == model.shape
    assert sorted(set(range(32)) - set(out.tolist())) == match.removed(0).tolist()
    record = match.as_record()
    assert record["axes"]["0"] == {"base": 32, "kept": 20, "removed": match.removed(0).tolist()}
    assert 0.9 < record["similarity"] <= 1


def test_other_shape_changes_are_not_matched():
    rng = np.random.default_rng(2)
    base = rng.standard_normal((8, 4)).astype(np.float32)
    assert match_channels(rng.standard_normal((9, 4)).astype(np.float32), base) is None
    bad = base[:4].copy()
    bad[0, 0] = np.nan
    assert match_channels(bad, base) is None  # non-finite values: compare nothing rather than guess


class _Net(nn.Module):
    def __init__(self, c1: int = 16, c2: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, c1, 3, padding=1), nn.BatchNorm2d(c1)
        self.conv2, self.bn2 = nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2)
        self.fc1, self.fc2 = nn.Linear(c2 * 16, hidden), nn.Linear(hidden, 10)


def _state(net: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in net.state_dict().items() if v.dtype.is_floating_point}


def _narrowed(state: dict[str, np.ndarray], k1: np.ndarray, k2: np.ndarray, kh: np.ndarray,
              noise: float, seed: int) -> dict[str, np.ndarray]:
    """The base's kept channels (as a channel-pruning tool writes them), then a little training."""
    cols = (k2[:, None] * 16 + np.arange(16)).reshape(-1)
    cut = {"conv1.weight": lambda w: w[k1], "conv1.bias": lambda w: w[k1],
           "conv2.weight": lambda w: w[k2][:, k1], "conv2.bias": lambda w: w[k2],
           "fc1.weight": lambda w: w[kh][:, cols], "fc1.bias": lambda w: w[kh], "fc2.weight": lambda w: w[:, kh]}
    for p in ("weight", "bias", "running_mean", "running_var"):
        cut[f"bn1.{p}"], cut[f"bn2.{p}"] = (lambda w: w[k1]), (lambda w: w[k2])
    rng = np.random.default_rng(seed)
    out = {}
    for name, w in state.items():
        w = cut.get(name, lambda x: x)(w)
        out[name] = (w + noise * np.abs(w).mean() * rng.standard_normal(w.shape)).astype(np.float32)
    return out


def test_a_channel_pruned_cnn_is_compared_channel_by_channel():
    torch.manual_seed(0)
    net = _Net()
    with torch.no_grad():  # trained BatchNorm statistics differ per channel, as in a real model
        net.bn1.running_var.uniform_(0.5, 2)
        net.bn2.running_var.uniform_(0.5, 2)
        net.bn1.running_mean.normal_()
        net.bn2.running_mean.normal_()
    base = _state(net)
    rng = np.random.default_rng(3)
    k1, k2 = np.sort(rng.choice(16, 12, replace=False)), np.sort(rng.choice(32, 24, replace=False))
    kh = np.sort(rng.choice(64, 48, replace=False))
    model = _narrowed(base, k1, k2, kh, noise=0.1, seed=4)
    base_self = self_stats(base)
    stats = pair_stats(model, base, base_self)
    removed = {name: rec["axes"] for name, rec in zip(stats.names, stats.structure, strict=True) if rec}
    expect = {0: {"conv1": k1, "bn1": k1, "conv2": k2, "bn2": k2, "fc1": kh},
              1: {"conv2": k1, "fc2": kh}}
    for name in stats.names:
        fields = stats.fields[stats.index[name]]
        assert fields[F["compared"]] == fields[F["n"]], name  # everything the model has is compared
        assert fields[F["n_base"]] == base[name].size, name  # against the whole base tensor
        module = name.split(".")[0]
        for axis, kept_by in expect.items():
            if module in kept_by and base[name].ndim > axis and model[name].shape[axis] != base[name].shape[axis]:
                gone = sorted(set(range(base[name].shape[axis])) - set(kept_by[module].tolist()))
                assert removed[name][str(axis)]["removed"] == gone, (name, axis)
    assert set(removed["fc1.weight"]) == {"0", "1"}  # fc1's inputs came through the flatten
    summary = LayerSummary("parameters", "base", ["base", "model"], {"base": base_self, "model": stats})
    node = summary.tree.index["conv2"]
    n, n_base = summary.field("model", "n")[node], summary.field("model", "n_base")[node]
    assert (n, n_base) == (24 * 12 * 9 + 24, 32 * 16 * 9 + 32)
    change = summary.change("model", "weights")[node]
    assert 0 < change < 0.3  # small noise on matched channels, not "everything moved"


def test_a_wrong_shape_still_reads_not_comparable():
    rng = np.random.default_rng(5)
    base = {"a.weight": rng.standard_normal((4, 4)).astype(np.float32)}
    model = {"a.weight": rng.standard_normal((5, 4)).astype(np.float32)}
    stats = pair_stats(model, base, self_stats(base))
    assert stats.structure == [None] and stats.fields[0, F["compared"]] == 0


def test_the_layers_page_words_the_removed_channels_and_the_deltas():
    torch.manual_seed(0)
    base = _state(_Net())
    k1, k2, kh = np.sort(np.random.default_rng(6).choice(16, 12, replace=False)), np.arange(24), np.arange(48)
    model = _narrowed(base, k1, k2, kh, noise=0.05, seed=7)
    base_self = self_stats(base)
    summary = LayerSummary("parameters", "base", ["base", "model"],
                           {"base": base_self, "model": pair_stats(model, base, base_self)})
    index = summary.tree.index
    assert summary.structure_at("base", index["conv2"]) is None  # the base removed nothing
    badge, text = summary.structure_at("model", index["conv2"])
    assert badge == "−8/32 out −4/16 in"
    assert "parameters 4,640 → 2,616 (−43.6 %)" in text and "FLOPs −43.8 %" in text
    assert "8 of 32 output channels of conv2.weight removed (24, 25, 26, 27, 28, 29, 30, 31)" in text
    badge, text = summary.structure_at("model", index["bn1"])  # a vector: its layer's channels
    gone = ", ".join(str(i) for i in sorted(set(range(16)) - set(k1.tolist())))
    assert badge == "−4/16 out" and f"({gone})" in text and "FLOPs" not in text
    badge, text = summary.structure_at("model", index["conv1.weight"])
    assert badge == "−4/16 out" and "mean cosine" in text

    nested = {f"net.{k}": v for k, v in base.items()}
    nested_self = self_stats(nested)
    nested_model = pair_stats({f"net.{k}": v for k, v in model.items()}, nested, nested_self)
    summary = LayerSummary("parameters", "base", ["base", "model"], {"base": nested_self, "model": nested_model})
    badge, text = summary.structure_at("model", summary.tree.index["net"])
    assert badge == "pruned ×6" and "removed in net.bn1, net.bn2, net.conv1, net.conv2, net.fc1, … (1 more)" in text
    total, kept = sum(v.size for v in base.values()), sum(v.size for v in model.values())
    assert f"parameters {total:,} → {kept:,}" in text
