"""``TorchInspector``: the common torch work behind an inspector.

Checkpoints load only through ``torch.load(..., weights_only=True)``, so a malicious pickle is
refused, never executed. Models run in eval mode under ``torch.inference_mode`` on the chosen
device, in deterministic dataset order. CUDA is touched only when a model is loaded, which
happens in background workers, never in the web process.

torch's quantized modules (``quantize_dynamic``'s int8 Linear, statically quantized Linear and
Conv) keep packed weights that ``named_parameters`` does not list, in a child module that never
runs: ``parameters`` unpacks them under the float model's names, ``quantized_modules`` says
which modules they are, and ``activation_modules`` counts each as one leaf.
"""

from __future__ import annotations

import pickle
from abc import abstractmethod
from collections.abc import Collection, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from backend.experiment.forest import Model
from backend.inference.protocol import Inspector, InspectorError

# torch.qint8 → "int8" ...: the short names the Layers page shows
QUANTIZED_DTYPES = {torch.qint8: "int8", torch.quint8: "uint8", torch.qint32: "int32",
                    torch.quint4x2: "uint4", torch.quint2x4: "uint2"}
PER_TENSOR = (torch.per_tensor_affine, torch.per_tensor_symmetric)


def _in_torch_quantized(module: nn.Module) -> bool:
    path = type(module).__module__
    return path.startswith("torch.") and ".quantized" in path


def quantized_weight(module: nn.Module) -> torch.Tensor | None:
    """The weight of a quantized module (its ``weight()`` method), None for any other module.

    Why a method call: torch's quantized modules keep their weights packed and unpack them on
    ``weight()``; a float module's ``weight`` is a Parameter. A plug-in's own ``weight()``
    method counts only when it returns a quantized tensor.
    """
    method = getattr(module, "weight", None)
    if method is None or isinstance(method, torch.Tensor | nn.Module) or not callable(method):
        return None
    in_torch = _in_torch_quantized(module)
    try:
        weight = method()
    except Exception:
        if in_torch:
            raise
        return None  # some other weight(...) method: not a quantized module
    if not isinstance(weight, torch.Tensor) or not (weight.is_quantized or in_torch):
        return None
    return weight


def _quantized_bias(module: nn.Module) -> torch.Tensor | None:
    method = getattr(module, "bias", None)
    if method is None or isinstance(method, torch.Tensor | nn.Module) or not callable(method):
        return None
    bias = method()
    return bias if isinstance(bias, torch.Tensor) else None


def describe_quantized(module: nn.Module, weight: torch.Tensor) -> str:
    """'int8 (per-tensor, scale 0.00306)', 'int8 (per-channel, 8 scales 0.0012–0.0031)', 'float16'."""
    if not weight.is_quantized:  # quantize_dynamic(dtype=torch.float16): packed fp16 weights
        dtype = getattr(getattr(module, "_packed_params", None), "dtype", weight.dtype)
        return str(dtype).removeprefix("torch.")
    name = QUANTIZED_DTYPES.get(weight.dtype, str(weight.dtype).removeprefix("torch."))
    scheme = weight.qscheme()
    if scheme in PER_TENSOR:
        zero = int(weight.q_zero_point())
        return (f"{name} (per-tensor, scale {weight.q_scale():.3g}"
                + (f", zero point {zero})" if zero else ")"))
    scales = weight.q_per_channel_scales().float()
    return (f"{name} (per-channel, {scales.numel()} scales "
            f"{float(scales.min()):.3g}–{float(scales.max()):.3g})")


def leaf_modules(loaded: nn.Module, quantized: Collection[str] = ()) -> list[str]:
    """Modules without children, in definition order; each of ``quantized`` counts as one leaf.

    Why: a quantized Linear keeps its packed weights in a child (``_packed_params``) that never
    runs, so the leaf rule alone would hook that child and miss the layer's output.
    """
    out: list[str] = []
    inside: str | None = None  # the quantized module whose subtree is being skipped
    for name, mod in loaded.named_modules():  # preorder: a subtree follows its root
        if not name or (inside is not None and name.startswith(inside)):
            continue
        inside = None
        if name in quantized:
            out.append(name)
            inside = name + "."
        elif next(mod.children(), None) is None:
            out.append(name)
    return out


def output_array(output: Any) -> np.ndarray | None:
    """A forward hook's output as float32 (a tuple's first item; quantized tensors dequantized);
    None when it is not a tensor."""
    tensor = output[0] if isinstance(output, tuple | list) and output else output
    if not isinstance(tensor, torch.Tensor):
        return None
    if tensor.is_quantized:
        tensor = tensor.dequantize()
    return tensor.detach().float().cpu().numpy()


def resolve_device(preference: str) -> torch.device:
    """'cpu', 'cuda' or 'auto' (CUDA when available) as a torch device."""
    if preference == "cpu":
        return torch.device("cpu")
    available = torch.cuda.is_available()
    if preference == "cuda" and not available:
        raise InspectorError("inspector.device: 'cuda' requested but no CUDA device is available")
    return torch.device("cuda" if available else "cpu")


class TorchInspector(Inspector):
    """Subclass and implement ``dataset``, ``build_module``, ``inputs`` and ``render_instance``."""

    @abstractmethod
    def build_module(self, model: Model, checkpoint: Any) -> nn.Module:
        """The network of ``model`` with the weights of its loaded ``checkpoint`` object."""

    @abstractmethod
    def inputs(self, indices: np.ndarray) -> torch.Tensor:
        """The input batch for dataset rows ``indices`` (on the CPU; moved to the device here)."""

    @property
    def device(self) -> torch.device:
        """The device models run on (resolved lazily, in the worker)."""
        if not hasattr(self, "_device"):
            self._device = resolve_device(self.device_preference)
        return self._device

    def read_checkpoint(self, model: Model) -> Any:
        """``torch.load(weights_only=True)`` with one-line errors naming the model."""
        path = model.checkpoint
        if path is None:
            raise InspectorError(f"model '{model.id}': no checkpoint in the models file")
        if not path.is_file():
            raise InspectorError(f"model '{model.id}': checkpoint not found: {path}")
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unpickling refused"
            raise InspectorError(f"model '{model.id}': checkpoint {path} was refused by the "
                                 f"weights-only loader ({first[:160]})") from None
        except Exception as exc:  # torch raises many types on a file that is not a checkpoint
            first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
            raise InspectorError(f"model '{model.id}': cannot read checkpoint {path} ({first})") from None

    def load_model(self, model: Model) -> nn.Module:
        """Read the checkpoint, build the module, move it to the device, eval mode."""
        checkpoint = self.read_checkpoint(model)
        try:
            module = self.build_module(model, checkpoint)
        except InspectorError:
            raise
        except Exception as exc:  # a plug-in bug: one line naming the model
            raise InspectorError(f"model '{model.id}': cannot build the model "
                                 f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]})") from None
        device = self.device
        if any(t.device != device for t in (*module.parameters(), *module.buffers())):
            module = module.to(device)  # skipped when all are there: .to() walks them all for nothing
        module = module.eval()
        module._cc_model_id = model.id  # for error messages in predict
        return module

    def outputs(self, raw: torch.Tensor) -> dict[str, torch.Tensor]:
        """Named outputs from the forward result: logits and softmax probabilities."""
        return {"logits": raw, "probs": torch.softmax(raw.float(), dim=-1)}

    def predict(self, loaded: nn.Module, indices: np.ndarray) -> dict[str, np.ndarray]:
        """Run one batch; check the outputs have one row per instance."""
        with torch.inference_mode():
            raw = loaded(self.inputs(indices).to(self.device))
            named = self.outputs(raw)
        out = {}
        mid = getattr(loaded, "_cc_model_id", "?")
        for name, tensor in named.items():
            if tensor.dim() == 0 or tensor.shape[0] != len(indices):
                raise InspectorError(f"model '{mid}': output '{name}' has shape {tuple(tensor.shape)}, "
                                     f"expected {len(indices)} rows (one per instance)")
            out[name] = tensor.detach().float().cpu().numpy()
        return out

    def parameters(self, loaded: nn.Module) -> Iterator[tuple[str, np.ndarray]]:
        """Every parameter as float32; ``torch.nn.utils.prune``'s orig × mask is resolved.

        A quantized module's packed weight and bias come out dequantized under the names the
        float model gives them (``<module>.weight``, ``<module>.bias``), so the Layers page
        compares them with the base like any other tensor (zeros stay zeros).
        """
        for mod_name, module in loaded.named_modules():
            prefix = f"{mod_name}." if mod_name else ""
            seen: set[str] = set()
            weight = quantized_weight(module)
            if weight is not None:
                bias = _quantized_bias(module)
                for p_name, value in (("weight", weight), ("bias", bias)):
                    if value is not None:
                        seen.add(p_name)
                        value = value.dequantize() if value.is_quantized else value
                        yield prefix + p_name, value.detach().float().cpu().numpy()
            for p_name, param in module.named_parameters(recurse=False):
                name = p_name.removesuffix("_orig")
                if name in seen:
                    continue
                mask = getattr(module, f"{name}_mask", None) if p_name.endswith("_orig") else None
                value = param.detach() * mask if mask is not None else param.detach()
                yield prefix + name, value.float().cpu().numpy()

    def quantized_modules(self, loaded: nn.Module) -> dict[str, str]:
        """Module name → what its weights are stored as ('int8 (per-tensor, scale 0.0026)'), for
        every quantized module: the Layers page marks those layers (``Engine`` keeps this in the
        cached entry's metadata)."""
        out = {}
        for name, module in loaded.named_modules():
            weight = quantized_weight(module)
            if weight is not None:
                out[name] = describe_quantized(module, weight)
        return out

    def activation_modules(self, loaded: nn.Module) -> list[str]:
        """Leaf modules (no children), in definition order; a quantized module is one leaf."""
        return leaf_modules(loaded, self.quantized_modules(loaded))

    def forward_batches(self, loaded: nn.Module, indices: np.ndarray) -> None:
        """Run the model over rows ``indices`` in batches (the hooks of ``activations`` collect
        the outputs); a model that takes other inputs overrides this alone."""
        for start in range(0, len(indices), self.batch_size):
            loaded(self.inputs(indices[start:start + self.batch_size]).to(self.device))

    def activations(self, loaded: nn.Module, modules: list[str],
                    indices: np.ndarray) -> dict[str, np.ndarray]:
        """Outputs of ``modules`` on rows ``indices``, batched, via forward hooks.

        A module that never runs (or returns no tensor) is named in one line: concatenating its
        empty list would otherwise fail with numpy's message, which names nothing.
        """
        mid = getattr(loaded, "_cc_model_id", "?")
        wanted = dict(loaded.named_modules())
        missing = [m for m in modules if m not in wanted]
        if missing:
            raise InspectorError(f"model '{mid}': no module named '{missing[0]}'")
        if len(indices) == 0:
            raise InspectorError(f"model '{mid}': no instances to collect activations on")
        collected: dict[str, list[np.ndarray]] = {m: [] for m in modules}
        hooks = []
        for name in modules:
            def hook(_mod, _inp, output, name=name):
                array = output_array(output)
                if array is not None:
                    collected[name].append(array)
            hooks.append(wanted[name].register_forward_hook(hook))
        try:
            with torch.inference_mode():
                self.forward_batches(loaded, indices)
        finally:
            for h in hooks:
                h.remove()
        silent = [m for m, parts in collected.items() if not parts]
        if silent:
            raise InspectorError(f"model '{mid}': module '{silent[0]}' produced no output on the "
                                 "sampled instances")
        return {name: np.concatenate(parts) for name, parts in collected.items()}
