"""Channel pruning on the demo networks: whole channels removed, the rest of the function kept.

No demo build: random networks whose removed channels are made dead (weights, bias and BatchNorm
zeroed, so they output exactly 0), which the original then ignores; the narrower network must
compute the same logits from the channels it keeps.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backend.demo import compress as C
from backend.demo.data import Split
from backend.demo.model import (
    ARCHITECTURES,
    POOLED_POSITIONS,
    build_architecture,
    load_checkpoint,
    module_from_state,
    save_checkpoint,
)


def _random_net(arch: str, seed: int = 0) -> torch.nn.Module:
    """A network with random weights and non-trivial BatchNorm gains, shifts and statistics."""
    torch.manual_seed(seed)
    net = build_architecture(arch)
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.5, 0.5)
                mod.running_mean.uniform_(-0.3, 0.3)
                mod.running_var.uniform_(0.5, 2.0)
    return net.eval()


def _kill(net: torch.nn.Module, amount: float, seed: int = 1) -> dict[str, torch.Tensor]:
    """Make a random ``amount`` of each hidden layer's channels output exactly 0; the survivors."""
    gen = torch.Generator().manual_seed(seed)
    alive: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for layer, norm, width in type(net).LAYERS:
            if width is None:
                continue
            n = getattr(net, layer).weight.shape[0]
            dead = torch.randperm(n, generator=gen)[:round(amount * n)]
            getattr(net, layer).weight[dead] = 0
            getattr(net, layer).bias[dead] = 0
            if norm is not None:
                getattr(net, norm).weight[dead] = 0
                getattr(net, norm).bias[dead] = 0
            alive[layer] = torch.tensor([i for i in range(n) if i not in set(dead.tolist())])
    return alive


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
@pytest.mark.parametrize("amount", [0.25, 0.5])
def test_pruned_network_computes_the_same_logits_from_the_kept_channels(arch, amount):
    net = _random_net(arch)
    alive = _kill(net, amount)
    keep = C.channel_keep(net, amount)
    assert {k: v.tolist() for k, v in keep.items()} == {k: v.tolist() for k, v in alive.items()}
    pruned = C.channel_prune(net, amount)
    assert not pruned.training and type(pruned) is type(net)
    x = torch.rand(32, 1, 8, 8)
    with torch.inference_mode():
        torch.testing.assert_close(pruned(x), net(x), rtol=0, atol=1e-5)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_survivors_keep_their_order_and_their_slices(arch):
    net = _random_net(arch)
    keep = C.channel_keep(net, 0.5)
    pruned = C.channel_prune(net, 0.5)
    prev = None  # the previous layer's kept rows and its original width
    for layer, norm, _width in type(net).LAYERS:
        src = getattr(net, layer)
        rows = keep.get(layer, torch.arange(src.weight.shape[0]))
        assert rows.tolist() == sorted(rows.tolist())  # original order
        w = src.weight.detach()[rows]
        if prev is not None:
            per = src.weight.shape[1] // prev[1]  # 16 columns per channel after the flatten
            w = w[:, [c * per + p for c in prev[0].tolist() for p in range(per)]]
        assert torch.equal(getattr(pruned, layer).weight, w), layer
        assert torch.equal(getattr(pruned, layer).bias, src.bias.detach()[rows]), layer
        if norm is not None:
            for stat in ("weight", "bias", "running_mean", "running_var"):
                assert torch.equal(getattr(getattr(pruned, norm), stat), getattr(getattr(net, norm), stat)[rows])
        prev = rows, src.weight.shape[0]
    # by hand: fc1's second block of 16 columns reads conv2's second kept channel, channel-major
    last_conv = "conv3" if arch == "large-cnn" else "conv2"
    c = int(keep[last_conv][1])
    assert torch.equal(pruned.fc1.weight[:, POOLED_POSITIONS:2 * POOLED_POSITIONS],
                       net.fc1.weight.detach()[keep["fc1"]][:, c * POOLED_POSITIONS:(c + 1) * POOLED_POSITIONS])


def test_the_lowest_l1_channels_go_and_the_fraction_is_exact():
    net = _random_net("small-cnn")
    for amount, widths in ((0.0, (16, 32, 64)), (0.25, (12, 24, 48)), (0.5, (8, 16, 32)), (0.99, (1, 1, 1))):
        keep = C.channel_keep(net, amount)
        assert tuple(len(keep[layer]) for layer in ("conv1", "conv2", "fc1")) == widths
        pruned = C.channel_prune(net, amount)
        assert (pruned.conv1.out_channels, pruned.conv2.out_channels, pruned.fc1.out_features) == widths
        assert pruned.conv2.in_channels == widths[0] and pruned.fc1.in_features == widths[1] * POOLED_POSITIONS
        assert pruned.fc2.in_features == widths[2] and pruned.fc2.out_features == 10
        for layer, rows in keep.items():
            norms = getattr(net, layer).weight.detach().abs().flatten(1).sum(1)
            dropped = [i for i in range(len(norms)) if i not in set(rows.tolist())]
            if dropped:
                assert norms[rows].min() >= norms[dropped].max(), layer
    full = C.channel_prune(net, 0.0)
    x = torch.rand(8, 1, 8, 8)
    with torch.inference_mode():
        assert torch.equal(full(x), net(x))


def test_a_pruned_checkpoint_rebuilds_float_and_int8(tmp_path):
    """The checkpoint stays {"arch", "state"}: the narrower widths are read from the shapes."""
    pruned = C.channel_prune(_random_net("small-cnn"), 0.5)
    x = torch.rand(16, 1, 8, 8)
    save_checkpoint("small-cnn", pruned.state_dict(), tmp_path / "p.pt")
    loaded = load_checkpoint(tmp_path / "p.pt")
    assert loaded.fc1.weight.shape == (32, 16 * POOLED_POSITIONS)
    with torch.inference_mode():
        assert torch.equal(loaded(x), pruned(x))
        int8 = module_from_state("small-cnn", C.quantize_weights_state(pruned))
        torch.testing.assert_close(int8(x), pruned(x), rtol=0, atol=0.05)
        calib_state = C.quantize_calibrated_state(pruned, _split(), images=32)
        calibrated = module_from_state("small-cnn", calib_state)
        assert calibrated.conv2.weight.shape == (16, 8, 3, 3) and set(calibrated.activation_scales) == {
            "conv1", "conv2", "fc1", "fc2"}
        assert calibrated(x).shape == (16, 10)
    # a full-width state still builds the default network
    assert module_from_state("large-cnn", build_architecture("large-cnn").state_dict()).fc1.in_features == 1024


def _split() -> Split:
    return Split(torch.rand(32, 1, 8, 8), torch.randint(0, 10, (32,)), np.arange(32))
