"""torch's quantized modules on the Layers page: unpacked weights, int8 marks, hooked outputs.

Small real models: a float MLP, the same MLP through ``quantize_dynamic`` (per-tensor and
per-channel), a pruned-then-quantized copy, and a statically quantized CNN. Checkpoints are the
float state_dict plus a flag (``build_module`` quantizes after loading) or a quantized
state_dict, which torch 2.13's weights-only loader reads too.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
from torch.nn.utils import prune

from backend import layers
from backend.experiment.forest import Model
from backend.experiment.loader import load_experiment
from backend.inference import EvalDataset, RenderedInstance
from backend.inference.engine import Engine
from backend.inference.protocol import InspectorError
from backend.inference.torch_base import TorchInspector
from backend.infra.cache import ResultCache

# torch.ao.quantization is deprecated in torch 2.13 and says so on every call
pytestmark = [pytest.mark.filterwarnings("ignore:torch.ao.quantization is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor, torch.quantize_per_channel:UserWarning"),
              pytest.mark.filterwarnings("ignore:TypedStorage is deprecated:UserWarning")]

N, FEATURES, HIDDEN, CLASSES = 40, 6, 16, 3


class MLP(nn.Module):
    """body (Linear, ReLU) then head: containers, so parents of quantized layers show too."""

    def __init__(self, unused: bool = False) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(FEATURES, HIDDEN), nn.ReLU())
        self.head = nn.Linear(HIDDEN, CLASSES)
        if unused:
            self.spare = nn.Linear(HIDDEN, CLASSES)  # never called in forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _inputs() -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(0).normal(size=(N, FEATURES)).astype(np.float32))


def _float_model(seed: int = 0) -> MLP:
    torch.manual_seed(seed)
    return MLP().eval()


def _quantized(model: nn.Module, per_channel: bool = False) -> nn.Module:
    spec = {nn.Linear: per_channel_dynamic_qconfig} if per_channel else {nn.Linear}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize_dynamic(copy.deepcopy(model), spec, dtype=torch.qint8)


def _pruned(model: nn.Module) -> nn.Module:
    out = copy.deepcopy(model)
    for layer in (out.body[0], out.head):
        prune.l1_unstructured(layer, "weight", amount=0.6)
        prune.remove(layer, "weight")  # quantize_dynamic cannot deepcopy prune's hooked weights
    return out


class QuantInspector(TorchInspector):
    """The MLP from ``{"state": float state_dict, "quantize": "", "per-tensor" or "per-channel"}``,
    or from a quantized state_dict (keys with ``_packed_params``)."""

    def dataset(self) -> EvalDataset:
        return EvalDataset(np.arange(N), np.arange(N) % CLASSES, ["a", "b", "c"], "text")

    def build_module(self, model: Model, checkpoint: Any) -> nn.Module:
        if any("_packed_params" in k for k in checkpoint):
            module = _quantized(MLP())
            module.load_state_dict(checkpoint)
            return module
        module = MLP(unused=any(k.startswith("spare.") for k in checkpoint["state"]))
        module.load_state_dict(checkpoint["state"])
        scheme = checkpoint["quantize"]
        return _quantized(module, per_channel=scheme == "per-channel") if scheme else module

    def inputs(self, indices: np.ndarray) -> torch.Tensor:
        return _inputs()[torch.as_tensor(indices)]

    def render_instance(self, index: int) -> RenderedInstance:
        return RenderedInstance("text/plain", f"instance {index}")


def _inspector() -> QuantInspector:
    return QuantInspector(device="cpu", batch_size=16)


def _params(module: nn.Module) -> dict[str, np.ndarray]:
    return dict(_inspector().parameters(module))


def test_dynamic_quantized_weights_come_out_dequantized_under_float_names():
    base = _float_model()
    for per_channel in (False, True):
        q = _quantized(base, per_channel)
        floats, params = _params(base), _params(q)
        assert list(params) == list(floats) == ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]
        for module in ("body.0", "head"):
            packed = q.get_submodule(module).weight()
            assert packed.dtype == torch.qint8
            assert params[f"{module}.weight"].dtype == np.float32
            assert np.array_equal(params[f"{module}.weight"], packed.dequantize().numpy())
            if per_channel:
                step = packed.q_per_channel_scales().numpy()[:, None]
            else:
                step = packed.q_scale()
            # rounding to the nearest step: never more than one step from the float weight
            assert np.all(np.abs(params[f"{module}.weight"] - floats[f"{module}.weight"]) <= step + 1e-7)
            assert np.array_equal(params[f"{module}.bias"], floats[f"{module}.bias"])  # bias stays float


def test_quantized_modules_say_int8_and_scheme():
    base = _float_model()
    assert _inspector().quantized_modules(base) == {}
    tensor = _inspector().quantized_modules(_quantized(base))
    scale = _quantized(base).head.weight().q_scale()
    assert set(tensor) == {"body.0", "head"}
    assert tensor["head"] == f"int8 (per-tensor, scale {scale:.3g})"
    channel = _inspector().quantized_modules(_quantized(base, per_channel=True))
    assert channel["head"].startswith(f"int8 (per-channel, {CLASSES} scales ")
    assert channel["body.0"].startswith(f"int8 (per-channel, {HIDDEN} scales ")


def test_pruned_then_quantized_keeps_its_zeros():
    pruned = _pruned(_float_model())
    floats, params = _params(pruned), _params(_quantized(pruned))
    for name in ("body.0.weight", "head.weight"):
        zeros = floats[name] == 0
        assert zeros.mean() == pytest.approx(0.6, abs=0.05)
        assert np.all(params[name][zeros] == 0)  # symmetric int8: zero is exactly representable


def test_activations_hook_the_quantized_layer_not_its_packed_params():
    base, q = _float_model(), _quantized(_float_model())
    inspector = _inspector()
    modules = inspector.activation_modules(q)
    assert modules == inspector.activation_modules(base) == ["body.0", "body.1", "head"]
    rows = np.arange(0, N, 2)
    acts = inspector.activations(q, modules, rows)
    floats = inspector.activations(base, modules, rows)
    for name, width in (("body.0", HIDDEN), ("body.1", HIDDEN), ("head", CLASSES)):
        assert acts[name].shape == (len(rows), width) and acts[name].dtype == np.float32
        assert np.allclose(acts[name], floats[name], atol=0.05)  # int8 weights: close, not equal


def test_module_that_never_runs_is_named_in_one_line():
    torch.manual_seed(0)
    model = MLP(unused=True).eval()
    model._cc_model_id = "spare-model"
    inspector = _inspector()
    modules = inspector.activation_modules(model)
    assert "spare" in modules
    with pytest.raises(InspectorError) as info:
        inspector.activations(model, modules, np.arange(4))
    assert str(info.value) == "model 'spare-model': module 'spare' produced no output on the sampled instances"


def test_statically_quantized_conv_and_linear():
    class CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.quant = torch.ao.quantization.QuantStub()
            self.conv = nn.Conv2d(1, 4, 3)
            self.relu = nn.ReLU()
            self.fc = nn.Linear(4 * 4 * 4, CLASSES)
            self.dequant = torch.ao.quantization.DeQuantStub()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.dequant(self.fc(self.relu(self.conv(self.quant(x))).flatten(1)))

    torch.manual_seed(0)
    model = CNN().eval()
    images = torch.randn(8, 1, 6, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.qconfig = torch.ao.quantization.get_default_qconfig(torch.backends.quantized.engine)
        prepared = torch.ao.quantization.prepare(copy.deepcopy(model))
        prepared(images)
        q = torch.ao.quantization.convert(prepared)

    class Static(QuantInspector):
        def inputs(self, indices: np.ndarray) -> torch.Tensor:
            return images[torch.as_tensor(indices)]

    inspector = Static(device="cpu", batch_size=16)
    params = dict(inspector.parameters(q))
    assert list(params) == [n for n, _ in model.named_parameters()]  # conv.weight, conv.bias, fc.*
    assert np.array_equal(params["conv.weight"], q.conv.weight().dequantize().numpy())
    assert np.abs(params["fc.weight"] - model.fc.weight.detach().numpy()).max() < 0.05
    assert set(inspector.quantized_modules(q)) == {"conv", "fc"}
    modules = inspector.activation_modules(q)
    assert modules == ["quant", "conv", "relu", "fc", "dequant"]  # fc._packed_params never runs
    acts = inspector.activations(q, modules, np.arange(8))  # quantized outputs come out dequantized
    assert acts["conv"].shape == (8, 4, 4, 4) and acts["fc"].dtype == np.float32


# --- through the engine and the Layers service ----------------------------------------------------
@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    """base (float), q (int8, float checkpoint + flag), qc (per-channel), pq (pruned, int8),
    qsd (a saved quantized state_dict) and spare (a module that never runs)."""
    base = _float_model()
    ckpts = tmp_path / "ckpt"
    ckpts.mkdir()
    state = base.state_dict()
    torch.save({"state": state, "quantize": ""}, ckpts / "base.pt")
    torch.save({"state": state, "quantize": "per-tensor"}, ckpts / "q.pt")
    torch.save({"state": state, "quantize": "per-channel"}, ckpts / "qc.pt")
    torch.save({"state": _pruned(base).state_dict(), "quantize": "per-tensor"}, ckpts / "pq.pt")
    torch.save(_quantized(base).state_dict(), ckpts / "qsd.pt")
    spare = MLP(unused=True)
    spare.load_state_dict({**state, **{f"spare.{k}": v for k, v in base.head.state_dict().items()}})
    torch.save({"state": spare.state_dict(), "quantize": ""}, ckpts / "spare.pt")
    lines = "".join(f"  - {{id: {m}, base: base, checkpoint: ckpt/{m}.pt}}\n"
                    for m in ("q", "qc", "pq", "qsd", "spare"))
    (tmp_path / "exp.yaml").write_text("name: quantized\nmodels:\n  - {id: base, checkpoint: ckpt/base.pt}\n"
                                       + lines)
    forest = load_experiment(tmp_path / "exp.yaml").forest
    return Engine(forest, _inspector(), ResultCache(tmp_path / "cache"), activation_sample=12)


def test_engine_records_quantized_modules_without_extra_arrays(engine: Engine):
    assert set(engine.parameters("q")) == set(engine.parameters("base"))
    assert set(engine.parameters("qsd")) == set(engine.parameters("base"))  # weights-only load works
    meta = engine.cache.array_meta(engine.key("parameters", "q"))
    assert set(meta["quantized"]) == {"body.0", "head"} and meta["quantized"]["head"].startswith("int8 (")
    assert "quantized" not in engine.cache.array_meta(engine.key("parameters", "base"))
    acts = engine.activations("q")
    assert set(acts) == {"body.0", "body.1", "head"} and acts["head"].shape == (12, CLASSES)


def test_engine_names_the_silent_module(engine: Engine):
    with pytest.raises(InspectorError) as info:
        engine.activations("spare")
    assert str(info.value) == "model 'spare': module 'spare' produced no output on the sampled instances"


def test_layers_summary_shows_quantized_layers_present_and_int8(engine: Engine):
    models = ["q", "qc", "pq", "qsd"]
    for tensor in ("sparsity", "weights", "activations"):
        layers.compute(engine, models, "base", tensor)
    weights = layers.load_summary(engine, models, "base", "weights")
    tree = weights.tree
    head, head_w, head_b, body = (tree.index[n] for n in ("head", "head.weight", "head.bias", "body"))
    for m in models:
        cell = weights.cell(m, head_w)
        assert cell["n"] == HIDDEN * CLASSES and cell["compared"] == cell["n"]  # present, same shape
        assert weights.shapes(m, head_w) == ([CLASSES, HIDDEN], [CLASSES, HIDDEN])
        moved = weights.change(m, "weights")[head_w]
        assert 0 < moved < (0.6 if m == "pq" else 0.05)  # int8 rounding alone moves little mass
        badge, title = weights.quantized_at(m, head)
        assert badge == "int8" and title.startswith(f"{m} stores head as int8 (")
        assert weights.quantized_at(m, head_w)[0] == "int8"
        assert weights.quantized_at(m, head_b) is None  # the bias stays float
        assert weights.quantized_at(m, body)[0] == "int8 ×1"
        assert weights.quantized_at(m, tree.index["body.0.weight"])[0] == "int8"
    assert all(weights.quantized_at("base", i) is None for i in range(len(tree)))
    assert "per-channel" in weights.quantized_at("qc", head)[1]
    sparsity = layers.load_summary(engine, models, "base", "sparsity")
    pq = sparsity.cell("pq", head_w)
    assert pq["zeros"] >= round(0.6 * pq["n"]) and pq["zero_model_only"] == pq["zeros"]
    assert sparsity.quantized_at("pq", head_w)[0] == "int8"
    acts = layers.load_summary(engine, models, "base", "activations")
    node = acts.tree.index["head"]
    assert acts.has_data[node] and acts.cell("q", node)["compared"] == 12 * CLASSES
    assert acts.quantized_at("q", node)[0] == "int8"
