"""Build the embedded demo: train two CNNs on digits, compress them for real, measure, write the file.

Every number in the models file is measured here: accuracy and per-class accuracy of the module
rebuilt from its checkpoint on the held-out digits, latency on this machine, compressed size of
the saved state, sparsity. Seeds are fixed, so a rebuild gives the same models and accuracies.
Checkpoints are written first and the models file last (atomically): a killed build leaves no
models file, and the next start builds again. See ``recipe`` for the models and their story.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import nn

from backend.demo import compress as C
from backend.demo.catalog import METRICS, NAME, OPERATIONS, class_metric
from backend.demo.data import RARE_CLASSES, Split, class_counts, evaluation_set, training_set
from backend.demo.model import build_architecture, load_checkpoint, save_checkpoint
from backend.demo.train import (
    TRAIN_THREADS,
    accuracies,
    fit,
    latency_ms,
    predict,
    size_bytes,
    sparsity,
    threads,
)
from backend.experiment.times import iso_utc

EPOCHS = {"small-cnn": 30, "large-cnn": 20}
TRAIN_LR = 3e-3
FINETUNE_EPOCHS = 10
FINETUNE_LR = 1e-3
CALIBRATION_IMAGES = 256
RANDOM_PRUNE_SEED = 0


class DemoBuilder:
    """Derives, saves and measures models one operation at a time; keeps float modules for children."""

    def __init__(self, models_path: Path, log: Callable[[str], None]) -> None:
        self.root = models_path.parent
        self.log = log
        self.train: Split = training_set()
        self.test: Split = evaluation_set()
        self.nets: dict[str, nn.Module] = {}
        self.entries: list[dict[str, Any]] = []
        self.t0 = time.perf_counter()

    # -- recording -------------------------------------------------------------------------
    def record(self, mid: str, tag: str, base: str | None, op: str, params: dict[str, Any],
               net: nn.Module | None = None, state: dict[str, torch.Tensor] | None = None) -> str:
        """Save a checkpoint, measure the module rebuilt from it, and add the model entry."""
        arch = C.model_arch(net if net is not None else self.nets[base])
        state = state if state is not None else net.state_dict()
        path = self.root / "checkpoints" / f"{mid}.pt"
        save_checkpoint(arch, state, path)
        created = iso_utc()  # when the model came into being: the Model Map's timeline
        loaded = load_checkpoint(path)  # measure exactly what the app will load
        acc, per_class = accuracies(predict(loaded, self.test), self.test)
        mean_ms, std_ms = latency_ms(loaded, self.test)
        metrics = {"Accuracy": acc, "Latency": mean_ms, "Model Size": float(size_bytes(state)),
                   "Sparsity": sparsity(loaded), "Latency Std": std_ms,
                   "Rare-Class Accuracy": sum(per_class[c] for c in RARE_CLASSES) / len(RARE_CLASSES)}
        metrics.update({class_metric(c): a for c, a in enumerate(per_class)})
        self.entries.append({"id": mid, "tag": tag, "base": base,
                             "operation": {"name": op, "parameters": params},
                             "metrics": {k: float(v) for k, v in metrics.items()},
                             "checkpoint": f"checkpoints/{mid}.pt", "created": created})
        if net is not None:
            self.nets[mid] = net
        self.log(f"demo: {len(self.entries):>2} models  {mid:<30} accuracy {acc:.3f}  "
                 f"sparsity {metrics['Sparsity']:.3f}  ({time.perf_counter() - self.t0:.0f} s)")
        return mid

    # -- operations ------------------------------------------------------------------------
    def train_root(self, mid: str, arch: str, seed: int) -> str:
        torch.manual_seed(seed)
        net = fit(build_architecture(arch), self.train, EPOCHS[arch], TRAIN_LR, seed=seed,
                  log=self.log, what=f"train {mid}")
        title = {"small-cnn": "Small CNN", "large-cnn": "Large CNN"}[arch]
        return self.record(mid, f"{title} trained {EPOCHS[arch]} epochs", None, "train",
                           {"epochs": EPOCHS[arch], "architecture": arch}, net)

    def prune(self, base: str, kind: str, amount: float, mid: str | None = None) -> str:
        parent = self.nets[base]
        short, op, masks = {
            "global": ("gprune", "global magnitude prune", lambda: C.global_magnitude_masks(parent, amount)),
            "layer": ("lprune", "layer-wise magnitude prune",
                      lambda: C.layerwise_magnitude_masks(parent, amount)),
            "gradient": ("gradprune", "gradient prune", lambda: C.gradient_masks(parent, amount, self.train)),
            "random": ("rprune", "random prune", lambda: C.random_masks(parent, amount, RANDOM_PRUNE_SEED)),
        }[kind]
        params: dict[str, Any] = {"amount": amount}
        if kind == "random":
            params["seed"] = RANDOM_PRUNE_SEED
        mid = mid or f"{base}-{short}{round(amount * 100)}"
        return self.record(mid, f"{op.capitalize()} {amount:.0%}", base, op, params,
                           C.apply_masks(parent, masks()))

    def channel_prune(self, base: str, amount: float) -> str:
        """Structured pruning: the child is a narrower network, not a masked copy."""
        return self.record(f"{base}-cprune{round(amount * 100)}", f"Channel prune {amount:.0%}", base,
                           "channel prune", {"amount": amount}, C.channel_prune(self.nets[base], amount))

    def fine_tune(self, base: str, mid: str | None = None, epochs: int = FINETUNE_EPOCHS) -> str:
        net = copy.deepcopy(self.nets[base])
        fit(net, self.train, epochs, FINETUNE_LR, seed=1, masks=C.zero_masks(net),
            log=self.log, what=f"fine-tune {base}")
        return self.record(mid or f"{base}-ft", f"Fine-tuned {base}", base, "fine-tune",
                           {"epochs": epochs}, net)

    def quantize(self, base: str, calibrated: bool, mid: str | None = None) -> str:
        parent = self.nets[base]
        if not calibrated:
            return self.record(mid or f"{base}-int8", "int8 weights", base, "quantize",
                               {"weights": "int8", "activations": "float32"},
                               state=C.quantize_weights_state(parent))
        return self.record(mid or f"{base}-int8-calib", "int8 weights + calibrated uint8 activations", base,
                           "quantize (calibrated)",
                           {"weights": "int8", "activations": "uint8", "images": CALIBRATION_IMAGES},
                           state=C.quantize_calibrated_state(parent, self.train, CALIBRATION_IMAGES))

    def restore_normalization(self, base: str, original: str) -> str:
        return self.record(f"{base}-restore-bn", f"BatchNorm restored from {original}", base,
                           "restore normalization", {"from": original},
                           C.restore_normalization(self.nets[base], self.nets[original]))

    def restore_layer(self, base: str, original: str, layer: str, amount: float) -> str:
        tag = f"{layer} restored from {original}, pruned {amount:.0%}"
        return self.record(f"{base}-restore-{layer}", tag, base, "restore layer",
                           {"layer": layer, "amount": amount, "from": original},
                           C.restore_layer(self.nets[base], self.nets[original], layer, amount))

    def recalibrate(self, base: str) -> str:
        return self.record(f"{base}-recal-bn", "BatchNorm statistics re-estimated", base,
                           "recalibrate normalization", {"images": len(self.train.y)},
                           C.recalibrate_normalization(self.nets[base], self.train))

    # -- output ----------------------------------------------------------------------------
    def write(self, models_path: Path) -> None:
        doc = {"name": NAME, "operations": OPERATIONS, "metrics": METRICS, "models": self.entries}
        tmp = models_path.with_suffix(".yaml.tmp")
        tmp.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        os.replace(tmp, models_path)


def recipe(b: DemoBuilder) -> None:
    """The demo's models and their story (the README's demo section tells it).

    (a) Global magnitude pruning keeps the small CNN intact to 80 % but at 98–99 % it all but
    empties fc1 and conv2 (largest fan-in, smallest weights) while conv1 keeps most weights:
    restoring BatchNorm does nothing, fine-tuning cannot revive the empty layer, restoring fc1
    (pruned to 95 %) and fine-tuning does. Uniform layer-wise pruning fails the other way, at
    50 %, by halving conv1's 144 weights: restoring conv1 or re-estimating the BatchNorm
    statistics repairs it; stale statistics also explain the large CNN's collapse at 95 %.
    (b) Fine-tuned heavy pruning forgets the under-represented digits 3 and 8 first
    (cross-validated in ``backend.demo.disparity``). (c) Channel pruning removes whole channels:
    fewer parameters and really lower latency (zeros do not speed up dense kernels); fine-tuning
    restores the accuracy lost at 50 %.
    """
    cnn = b.train_root("cnn", "small-cnn", seed=0)
    for amount in (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99):
        b.prune(cnn, "global", amount)
    for amount in (0.3, 0.5, 0.7, 0.9):
        b.prune(cnn, "layer", amount)
    for amount in (0.5, 0.9):
        b.prune(cnn, "gradient", amount)
        b.prune(cnn, "random", amount)
    b.quantize(cnn, calibrated=False)
    b.quantize(cnn, calibrated=True)
    # (a) global pruning collapses fc1; fine-tuning alone cannot revive an all-zero layer
    for pruned in ("cnn-gprune98", "cnn-gprune99"):
        b.fine_tune(pruned)
        b.restore_normalization(pruned, cnn)
        b.fine_tune(b.restore_layer(pruned, cnn, "fc1", 0.95))
    # the paper's fix, layer-wise pruning, breaks at 50 % here: conv1 has only 144 weights
    b.restore_layer("cnn-lprune50", cnn, "conv1", 0.0)
    b.recalibrate("cnn-lprune50")
    b.recalibrate("cnn-gprune90")
    for pruned in ("cnn-gprune90", "cnn-gprune95", "cnn-lprune90", "cnn-gradprune90", "cnn-rprune90"):
        b.fine_tune(pruned)
    b.quantize("cnn-gprune90-ft", calibrated=True)
    # iterative prune → fine-tune chain to the sparsities that break one-shot pruning
    step = b.fine_tune("cnn-gprune50")
    for amount in (0.75, 0.9, 0.95, 0.98):
        step = b.fine_tune(b.prune(step, "global", amount, f"cnn-iter{round(amount * 100)}"))
    b.quantize("cnn-iter95-ft", calibrated=True)

    large = b.train_root("cnn-large", "large-cnn", seed=0)
    for amount in (0.5, 0.9, 0.95, 0.99):
        b.prune(large, "global", amount)
    b.prune(large, "layer", 0.5)
    b.recalibrate("cnn-large-gprune95")
    b.fine_tune("cnn-large-gprune95")
    b.fine_tune("cnn-large-gprune99")
    b.quantize(large, calibrated=False)
    b.quantize(large, calibrated=True)
    # (c) structured pruning, appended last so the models above keep their numbers: whole
    # channels and hidden units removed, a narrower network that is really smaller and faster
    for amount in (0.25, 0.5):
        b.fine_tune(b.channel_prune(cnn, amount))


def build(models_path: Path, cache_dir: Path, log: Callable[[str], None]) -> None:
    """Train and compress the demo models; write checkpoints and ``models_path`` atomically."""
    del cache_dir  # everything lives next to the models file
    models_path.parent.mkdir(parents=True, exist_ok=True)
    b = DemoBuilder(models_path, log)
    counts = class_counts(b.train)
    log(f"demo: training the base CNN on digits ({len(b.train.y)} train images, digits "
        f"{', '.join(str(c) for c in RARE_CLASSES)} under-represented: {counts}; "
        f"{len(b.test.y)} held-out images)")
    with threads(TRAIN_THREADS):  # also for gradient scores, calibration and statistics passes
        recipe(b)
    b.write(models_path)
    log(f"demo: built {len(b.entries)} models in {time.perf_counter() - b.t0:.1f} s -> {models_path}")
