"""``TorchInspector``: the common torch work behind an inspector.

Checkpoints load only through ``torch.load(..., weights_only=True)``, so a malicious pickle is
refused, never executed. Models run in eval mode under ``torch.inference_mode`` on the chosen
device, in deterministic dataset order. CUDA is touched only when a model is loaded, which
happens in background workers, never in the web process.
"""

from __future__ import annotations

import pickle
from abc import abstractmethod
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from backend.experiment.forest import Model
from backend.inference.protocol import Inspector, InspectorError


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
        """Every parameter as float32; ``torch.nn.utils.prune``'s orig × mask is resolved."""
        for mod_name, module in loaded.named_modules():
            for p_name, param in module.named_parameters(recurse=False):
                name = p_name.removesuffix("_orig")
                mask = getattr(module, f"{name}_mask", None) if p_name.endswith("_orig") else None
                value = param.detach() * mask if mask is not None else param.detach()
                full = f"{mod_name}.{name}" if mod_name else name
                yield full, value.float().cpu().numpy()

    def activation_modules(self, loaded: nn.Module) -> list[str]:
        """Leaf modules (no children), in definition order."""
        return [name for name, mod in loaded.named_modules() if name and not list(mod.children())]

    def activations(self, loaded: nn.Module, modules: list[str],
                    indices: np.ndarray) -> dict[str, np.ndarray]:
        """Outputs of ``modules`` on rows ``indices``, batched, via forward hooks."""
        wanted = dict(loaded.named_modules())
        missing = [m for m in modules if m not in wanted]
        if missing:
            raise InspectorError(f"model '{getattr(loaded, '_cc_model_id', '?')}': no module named "
                                 f"'{missing[0]}'")
        collected: dict[str, list[np.ndarray]] = {m: [] for m in modules}
        hooks = []
        for name in modules:
            def hook(_mod, _inp, output, name=name):
                tensor = output[0] if isinstance(output, tuple | list) else output
                collected[name].append(tensor.detach().float().cpu().numpy())
            hooks.append(wanted[name].register_forward_hook(hook))
        try:
            with torch.inference_mode():
                for start in range(0, len(indices), self.batch_size):
                    batch = indices[start:start + self.batch_size]
                    loaded(self.inputs(batch).to(self.device))
        finally:
            for h in hooks:
                h.remove()
        return {name: np.concatenate(parts) for name, parts in collected.items()}
