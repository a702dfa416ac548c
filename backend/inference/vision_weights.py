"""Reading a checkpoint into ``ImageClassifierInspector``'s architecture: the state_dict shapes
training loops save, and the one line saying why a checkpoint does not fit.

Why apart: the accepted shapes (nested dicts, DataParallel prefixes, unapplied pruning masks) are
rules of their own, tested without images or an inspector.
"""

from __future__ import annotations

from typing import Any

import torch

NESTED_STATE_DICT_KEYS = ("state_dict", "model_state_dict")  # what training loops often save


def state_dict_of(checkpoint: Any, expected: dict[str, Any]) -> dict[str, torch.Tensor] | None:
    """The checkpoint as a state_dict of ``expected``'s keys where it is one, else None.

    Accepted besides a plain state_dict: one nested under 'state_dict' or 'model_state_dict'
    (training loops' checkpoints), keys prefixed with 'module.' (DataParallel), and
    ``torch.nn.utils.prune``'s ``weight_orig`` × ``weight_mask``, folded into ``weight``.
    """
    if isinstance(checkpoint, dict):
        for key in NESTED_STATE_DICT_KEYS:
            if isinstance(checkpoint.get(key), dict):
                checkpoint = checkpoint[key]
                break
    if (not isinstance(checkpoint, dict) or not checkpoint or not all(isinstance(k, str) for k in checkpoint)
            or not any(isinstance(v, torch.Tensor) for v in checkpoint.values())):
        return None
    state = dict(checkpoint)
    if all(k.startswith("module.") for k in state) and not any(k.startswith("module.") for k in expected):
        state = {k.removeprefix("module."): v for k, v in state.items()}
    for key in [k for k in state if k.endswith("_orig")]:
        name, mask = key.removesuffix("_orig"), key.removesuffix("_orig") + "_mask"
        if mask in state and name in expected and key not in expected:
            state[name] = state.pop(key) * state.pop(mask)
    return state


def _shape(value: Any) -> str:
    return str(tuple(value.shape)) if isinstance(value, torch.Tensor) else type(value).__name__


def fit_problem(state: dict[str, Any], expected: dict[str, torch.Tensor]) -> str | None:
    """The first missing key, unexpected key or shape mismatch (and how many more), or None."""
    problems = [f"missing key '{k}'" for k in expected if k not in state]
    problems += [f"unexpected key '{k}'" for k in state if k not in expected]
    problems += [f"'{k}' has shape {_shape(state[k])} in the checkpoint, {_shape(v)} in the architecture"
                 for k, v in expected.items()
                 if k in state and (not isinstance(state[k], torch.Tensor) or state[k].shape != v.shape)]
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return problems[0] + more
