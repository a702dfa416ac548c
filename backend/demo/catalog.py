"""What the demo's models file declares: its operations and metrics (names, formats, meaning)."""

from __future__ import annotations

from backend.demo.data import CLASS_NAMES, RARE_CLASSES, RARE_KEEP

NAME = "Digits demo"
PCT = {"format": ".0%"}

OPERATIONS = [
    {"name": "train", "description": "Adam with a one-cycle schedule on the imbalanced training set.",
     "parameters": {"epochs": {"format": "d"}, "architecture": {}}},
    {"name": "global magnitude prune",
     "description": "Zero the smallest |values| ranked over all parameters, normalization included.",
     "parameters": {"amount": PCT}},
    {"name": "layer-wise magnitude prune",
     "description": "Zero the same fraction of each conv/linear tensor; normalization layers untouched.",
     "parameters": {"amount": PCT}},
    {"name": "gradient prune",
     "description": "Zero the conv/linear parameters of lowest first-order importance Σ(w·∂L/∂w)².",
     "parameters": {"amount": PCT}},
    {"name": "random prune", "description": "Zero a seeded random fraction of each conv/linear tensor.",
     "parameters": {"amount": PCT, "seed": {"format": "d"}}},
    {"name": "channel prune",
     "description": "Remove the conv channels and fc1 hidden units of lowest L1 norm: a narrower "
                    "network (fewer parameters and FLOPs, really faster).",
     "parameters": {"amount": PCT}},
    {"name": "fine-tune", "description": "Retrain with pruned parameters held at zero.",
     "parameters": {"epochs": {"format": "d"}}},
    {"name": "quantize", "description": "int8 per-channel weights; activations stay float (no calibration).",
     "parameters": {"weights": {}, "activations": {}}},
    {"name": "quantize (calibrated)",
     "description": "int8 weights and uint8 activations whose ranges come from calibration images.",
     "parameters": {"weights": {}, "activations": {}, "images": {"format": "d"}}},
    {"name": "restore normalization",
     "description": "Copy the normalization layers (gains, shifts, statistics) back from the trained model.",
     "parameters": {"from": {}}},
    {"name": "restore layer",
     "description": "Take one layer back from the trained model and prune it to a smaller amount.",
     "parameters": {"layer": {}, "amount": PCT, "from": {}}},
    {"name": "recalibrate normalization",
     "description": "Re-estimate BatchNorm running statistics on training images; no gradient steps.",
     "parameters": {"images": {"format": "d"}}},
]

_RARE = ", ".join(CLASS_NAMES[c] for c in RARE_CLASSES)
_PER_CLASS_DESC = "Accuracy on the held-out images of digit {name}{note}."


def _class_note(c: int) -> str:
    return f" (under-represented: {RARE_KEEP:.0%} of its training images kept)" if c in RARE_CLASSES else ""


METRICS = [
    {"name": "Accuracy", "primary": True, "format": ".2%", "unit": None, "min": 0.0, "max": 1.0,
     "higher_is_better": True, "description": "Top-1 accuracy on the 540 held-out digits."},
    {"name": "Latency", "primary": True, "format": ".3~f", "unit": "ms", "min": 0.0, "max": None,
     "higher_is_better": False,
     "description": "Mean time of one forward pass of the loaded PyTorch module on a batch of 64, one "
                    "CPU thread, measured on this machine (dense kernels: zeros and dequantised int8 "
                    "weights do not make it faster; channel pruning's narrower layers do)."},
    {"name": "Model Size", "primary": True, "format": ".3~s", "unit": "B", "min": 0.0, "max": None,
     "higher_is_better": False,
     "description": "Bytes of the saved state after zlib compression (pruned zeros compress away; "
                    "int8 weights take a quarter)."},
    {"name": "Sparsity", "primary": True, "format": ".1%", "unit": None, "min": 0.0, "max": 1.0,
     "higher_is_better": True,
     "description": "Fraction of exactly-zero values among all parameters (normalization included)."},
    {"name": "Latency Std", "primary": False, "format": ".3~f", "unit": "ms", "min": 0.0, "max": None,
     "higher_is_better": False, "description": "Standard deviation of the timed forward passes."},
    {"name": "Rare-Class Accuracy", "primary": False, "format": ".2%", "unit": None, "min": 0.0,
     "max": 1.0, "higher_is_better": True,
     "description": f"Mean accuracy on the under-represented digits {_RARE} (held-out images)."},
    *({"name": f"Class {name} Accuracy", "primary": False, "format": ".2%", "unit": None, "min": 0.0,
       "max": 1.0, "higher_is_better": True,
       "description": _PER_CLASS_DESC.format(name=name, note=_class_note(c))}
      for c, name in enumerate(CLASS_NAMES)),
]


def class_metric(c: int) -> str:
    """Name of the per-class accuracy metric of class index ``c``."""
    return f"Class {CLASS_NAMES[c]} Accuracy"
