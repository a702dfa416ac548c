"""What the text demo's models file declares: its operations and metrics (names, formats, meaning).

Operation names and parameters follow the reference's T5 case study (``Pruning {sparsity}``,
``Restore {layers}``, ``Retrain``, ``Selective Pruning {sparsity, layers}``), so the two trees
read alike in the app.
"""

from __future__ import annotations

from backend.demo.text.data import EVAL_QUESTIONS, GROUPS

NAME = "Text demo (T5 question answering)"


def _sparsity() -> dict:
    """A fresh spec each time: a shared dict would be written as a YAML alias."""
    return {"type": "continuous", "min": 0.0, "max": 1.0, "format": ".0%"}


OPERATIONS = [
    {"name": "Train", "description": "AdamW from scratch on the generated questions (warm-up, cosine decay).",
     "parameters": {"steps": {"format": "d"}, "batch": {"format": "d"}}},
    {"name": "Pruning",
     "description": "Global magnitude pruning: zero the smallest |values| ranked over all parameters, "
                    "layer-norm gains included.",
     "parameters": {"sparsity": _sparsity()}},
    {"name": "Layerwise Pruning",
     "description": "Zero the same fraction of each weight matrix (linear layers and the embedding); "
                    "layer norms and position biases untouched.",
     "parameters": {"sparsity": _sparsity()}},
    {"name": "Selective Pruning",
     "description": "Global magnitude pruning of one part of every block only: the attention projections "
                    "(q, k, v, o) or the feed-forward layers (wi, wo).",
     "parameters": {"sparsity": _sparsity(),
                    "layers": {"type": "ordinal", "options": ["attention", "feedforward"]}}},
    {"name": "Restore", "description": "Copy the named layers back from the trained model.",
     "parameters": {"layers": {"type": "ordinal", "options": ["layernorms"]}}},
    {"name": "Retrain",
     "description": "Fine-tune on the training questions with pruned weights held at zero.",
     "parameters": {"steps": {"format": "d"}}},
    {"name": "Quantize",
     "description": "Dynamic int8 quantization of every linear layer on load (torch quantize_dynamic): "
                    "int8 weights, activations quantized per batch.",
     "parameters": {"precision": {"type": "ordinal", "options": ["int8"]}, "method": {}}},
]

_HELD_OUT = f"the {EVAL_QUESTIONS} held-out questions"

METRICS = [
    {"name": "F1", "primary": True, "format": ".1%", "unit": None, "min": 0.0, "max": 1.0,
     "higher_is_better": True,
     "description": f"SQuAD token F1 of the greedy answer (6 new tokens at most) on {_HELD_OUT}; the "
                    "same numbers the Behaviors page computes."},
    {"name": "Exact Match", "primary": True, "format": ".1%", "unit": None, "min": 0.0, "max": 1.0,
     "higher_is_better": True,
     "description": f"Share of {_HELD_OUT} answered exactly (SQuAD normalisation: case, punctuation "
                    "and articles ignored)."},
    {"name": "Latency", "primary": True, "format": ".1f", "unit": "ms", "min": 0.0, "max": None,
     "higher_is_better": False,
     "description": "Fastest of 7 timed batches of 64 questions (tokenise and generate greedily), one "
                    "CPU thread, measured on this machine. Dense kernels: zeros do not make it "
                    "faster; a model that does not stop generating is slower."},
    {"name": "Model Size", "primary": True, "format": ".3~s", "unit": "B", "min": 0.0, "max": None,
     "higher_is_better": False,
     "description": "Bytes of the stored weights after zlib compression (pruned zeros compress away; "
                    "int8 layers take one byte per weight)."},
    {"name": "Sparsity", "primary": True, "format": ".1%", "unit": None, "min": 0.0, "max": 1.0,
     "higher_is_better": True,
     "description": "Fraction of exactly-zero stored values (int8 layers: of their int8 values)."},
    {"name": "Latency Std", "primary": False, "format": ".1f", "unit": "ms", "min": 0.0, "max": None,
     "higher_is_better": False, "description": "Standard deviation of the 7 timed batches."},
    {"name": "Zeroed Norm Gains", "primary": False, "format": ".1%", "unit": None, "min": 0.0, "max": 1.0,
     "higher_is_better": False,
     "description": "Fraction of the layer-norm gains that are exactly zero: did pruning reach the "
                    "normalization layers?"},
    *({"name": f"Exact Match ({group})", "primary": False, "format": ".1%", "unit": None, "min": 0.0,
       "max": 1.0, "higher_is_better": True,
       "description": f"Exact match on the held-out '{group}' questions."} for group in GROUPS),
]


def group_metric(group: str) -> str:
    """Name of the per-question-kind exact-match metric."""
    return f"Exact Match ({group})"
