"""Real compression operations on the demo networks: pruning, repairs, int8 quantisation.

Masks map parameter names to 0/1 keep-masks; ``apply_masks`` zeroes what they drop and
``fit(..., masks=...)`` keeps it zero while fine-tuning. Channel pruning instead removes whole
channels and returns a narrower network (``channel_prune``).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from backend.demo.data import Split
from backend.demo.model import (
    ACT_SUFFIX,
    ARCHITECTURES,
    NORM_TYPES,
    build_architecture,
    module_from_state,
    quantizable,
    weight_layer_parameters,
    widths_from_state,
)
from backend.demo.train import BATCH

Masks = dict[str, torch.Tensor]


def keep_top(scores: dict[str, torch.Tensor], amount: float) -> Masks:
    """Keep-masks dropping the ``amount`` fraction of lowest scores, ranked over all entries."""
    flat = torch.cat([s.flatten() for s in scores.values()])
    k = int(round(amount * flat.numel()))
    if k == 0:
        return {name: torch.ones_like(s) for name, s in scores.items()}
    threshold = flat.kthvalue(k).values
    return {name: (s > threshold).float() for name, s in scores.items()}


def global_magnitude_masks(model: nn.Module, amount: float) -> Masks:
    """Drop the smallest |value| among *all* parameters, normalization layers and biases included."""
    return keep_top({n: p.detach().abs() for n, p in model.named_parameters()}, amount)


def layerwise_magnitude_masks(model: nn.Module, amount: float) -> Masks:
    """Drop the smallest ``amount`` of each conv/linear tensor separately; normalization untouched."""
    masks: Masks = {}
    for name, p in weight_layer_parameters(model).items():
        masks.update(keep_top({name: p.detach().abs()}, amount))
    return masks


def gradient_scores(model: nn.Module, data: Split) -> dict[str, torch.Tensor]:
    """First-order (Taylor) importance Σ_batches (w·∂L/∂w)² of conv/linear parameters.

    The loss change from removing w is about w·∂L/∂w; squaring per batch before summing keeps
    the score informative at convergence, where the mean gradient is near zero.
    """
    work = copy.deepcopy(model).eval()
    params = weight_layer_parameters(work)
    scores = {name: torch.zeros_like(p) for name, p in params.items()}
    for start in range(0, len(data.y), BATCH):
        work.zero_grad()
        sl = slice(start, start + BATCH)
        nn.functional.cross_entropy(work(data.x[sl]), data.y[sl]).backward()
        for name, p in params.items():
            scores[name] += (p.detach() * p.grad) ** 2
    return scores


def gradient_masks(model: nn.Module, amount: float, data: Split) -> Masks:
    """Drop the conv/linear parameters with the lowest first-order importance, ranked globally."""
    return keep_top(gradient_scores(model, data), amount)


def random_masks(model: nn.Module, amount: float, seed: int) -> Masks:
    """Drop a seeded random ``amount`` of every conv/linear tensor: the baseline pruning must beat."""
    gen = torch.Generator().manual_seed(seed)
    return _keep_top_per_tensor({n: torch.rand(p.shape, generator=gen)
                                 for n, p in weight_layer_parameters(model).items()}, amount)


def _keep_top_per_tensor(scores: dict[str, torch.Tensor], amount: float) -> Masks:
    masks: Masks = {}
    for name, s in scores.items():
        masks.update(keep_top({name: s}, amount))
    return masks


def apply_masks(model: nn.Module, masks: Masks) -> nn.Module:
    """A copy of ``model`` with masked values set to exactly zero."""
    out = copy.deepcopy(model)
    params = dict(out.named_parameters())
    with torch.no_grad():
        for name, mask in masks.items():
            params[name].mul_(mask)
    return out


def zero_masks(model: nn.Module) -> Masks:
    """Masks of the parameters that are exactly zero now (fine-tuning keeps them zero)."""
    return {name: (p.detach() != 0).float() for name, p in model.named_parameters()
            if bool((p == 0).any())}


def restore_normalization(pruned: nn.Module, original: nn.Module) -> nn.Module:
    """A copy of ``pruned`` whose normalization layers (parameters and statistics) are ``original``'s."""
    out = copy.deepcopy(pruned)
    src = dict(original.named_modules())
    for name, mod in out.named_modules():
        if isinstance(mod, NORM_TYPES):
            mod.load_state_dict(src[name].state_dict())
    return out


def recalibrate_normalization(model: nn.Module, data: Split) -> nn.Module:
    """A copy of ``model`` whose BatchNorm running statistics are re-estimated on ``data``.

    Pruning shifts the distribution of each layer's output, so statistics stored before pruning
    normalise with the wrong mean and variance; one forward pass (no gradient step) fixes that.
    """
    out = copy.deepcopy(model)
    norms = [m for m in out.modules() if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d)]
    for mod in norms:
        mod.reset_running_stats()
        mod.momentum = None  # cumulative average: one full batch gives the exact statistics
    out.train()
    with torch.no_grad():
        out(data.x)
    for mod in norms:
        mod.momentum = 0.1
    return out.eval()


def restore_layer(pruned: nn.Module, original: nn.Module, layer: str, amount: float) -> nn.Module:
    """A copy of ``pruned`` whose ``layer`` is re-taken from ``original`` and pruned to ``amount``."""
    out = copy.deepcopy(pruned)
    src = dict(original.named_parameters())
    layer_params = {n: src[n] for n in src if n.startswith(f"{layer}.")}
    masks = _keep_top_per_tensor({n: p.detach().abs() for n, p in layer_params.items()}, amount)
    with torch.no_grad():
        for name, p in out.named_parameters():
            if name in masks:
                p.copy_(src[name] * masks[name])
    return out


def quantize_weights_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """State with conv/linear weights as int8 plus a float scale per output channel.

    Symmetric per-channel rounding of the weights; activations stay float, so no calibration
    data is needed. The saved state shrinks about 4× and the accuracy reflects the real rounding.
    """
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for name in quantizable(model):
        w = state.pop(name)
        flat = w.flatten(1)
        scale = flat.abs().amax(dim=1).clamp_min(1e-12) / 127.0
        state[f"{name}.int8"] = torch.round(flat / scale[:, None]).clamp(-127, 127).to(torch.int8).view_as(w)
        state[f"{name}.scale"] = scale
    return state


@torch.inference_mode()
def calibrate_activations(model: nn.Module, data: Split, images: int) -> dict[str, float]:
    """Per-tensor uint8 scales for the input of every conv/linear layer, from ``images`` images.

    A min/max observer: the largest input value seen on the calibration images maps to 255
    (inputs are images in [0, 1] or post-ReLU, so the zero point is 0).
    """
    peaks: dict[str, float] = {}
    hooks = []
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv2d | nn.Linear):
            def observe(_mod: nn.Module, args: tuple, name: str = name) -> None:
                peaks[name] = max(peaks.get(name, 0.0), float(args[0].max()))
            hooks.append(mod.register_forward_pre_hook(observe))
    try:
        model(data.x[:images])
    finally:
        for h in hooks:
            h.remove()
    return {name: max(peak, 1e-8) / 255.0 for name, peak in peaks.items()}


def quantize_calibrated_state(model: nn.Module, data: Split, images: int) -> dict[str, torch.Tensor]:
    """int8 weights plus uint8 activations whose ranges come from calibration images.

    Calibration runs on the weight-quantised network so the ranges match what inference sees.
    """
    state = quantize_weights_state(model)
    arch_model = module_from_state(model_arch(model), state)
    scales = calibrate_activations(arch_model, data, images)
    state.update({f"{name}{ACT_SUFFIX}": torch.tensor(s, dtype=torch.float32) for name, s in scales.items()})
    return state


def model_arch(model: nn.Module) -> str:
    """The architecture name of a demo network."""
    for name, cls in ARCHITECTURES.items():
        if type(model) is cls:
            return name
    raise ValueError(f"not a demo network: {type(model).__name__}")



def channel_keep(model: nn.Module, amount: float) -> dict[str, torch.Tensor]:
    """Output channels (units) each hidden layer keeps, in their original order.

    Drops the ``amount`` fraction of each conv layer's channels and fc1's units whose weight
    slice has the lowest L1 norm (at least one kept); the logits layer keeps all ten.
    """
    keep: dict[str, torch.Tensor] = {}
    for layer, _norm, width in ARCHITECTURES[model_arch(model)].LAYERS:
        if width is None:
            continue
        norms = getattr(model, layer).weight.detach().abs().flatten(1).sum(1)
        n_keep = max(1, len(norms) - int(round(amount * len(norms))))
        keep[layer] = torch.argsort(norms, descending=True, stable=True)[:n_keep].sort().values
    return keep


def narrow(model: nn.Module, keep: dict[str, torch.Tensor]) -> nn.Module:
    """A narrower float network holding only the ``keep`` channels of ``model``'s layers.

    Each kept channel brings its weight row, bias and BatchNorm entries (gain, shift, running
    statistics) and the next layer's input slice for it (fc1 reads conv channel c at columns
    c·P … c·P+P−1 of the channel-major flatten), so the narrow network computes exactly what
    ``model`` computes from the kept channels: really fewer parameters and FLOPs, not zeros.
    """
    arch = model_arch(model)
    layers = ARCHITECTURES[arch].LAYERS
    state = model.state_dict()
    out: dict[str, torch.Tensor] = {}
    prev: tuple[torch.Tensor, int] | None = None  # the previous layer's kept rows and its width
    for layer, norm, _width in layers:
        weight = state[f"{layer}.weight"]
        if prev is not None:
            rows, width = prev
            per = weight.shape[1] // width  # input columns per channel: 1, or P after the flatten
            cols = (rows[:, None] * per + torch.arange(per)).flatten()
            weight = weight[:, cols]
        rows = keep.get(layer, torch.arange(weight.shape[0]))
        out[f"{layer}.weight"], out[f"{layer}.bias"] = weight[rows], state[f"{layer}.bias"][rows]
        if norm is not None:
            for key in (k for k in state if k.startswith(f"{norm}.")):
                out[key] = state[key][rows] if state[key].dim() else state[key]
        prev = rows, state[f"{layer}.weight"].shape[0]
    net = build_architecture(arch, **widths_from_state(arch, out))
    net.load_state_dict(out)
    return net.eval()


def channel_prune(model: nn.Module, amount: float) -> nn.Module:
    """Structured pruning: remove the lowest-L1 ``amount`` of channels and hidden units for real."""
    return narrow(model, channel_keep(model, amount))
