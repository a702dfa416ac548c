"""The digits demo's launcher: grow the demo's tree from the browser with its own operations.

Each run goes through ``DemoBuilder`` exactly as ``build.py``'s recipe does (same compression
code, checkpoint format and measurements), so a launched model is comparable with the built ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from backend.demo.build import FINETUNE_EPOCHS, DemoBuilder
from backend.demo.model import load_checkpoint
from backend.demo.train import TRAIN_THREADS, threads
from backend.experiment.forest import Model
from backend.launch.protocol import Launcher, NumberParam, OperationSchema, Produced, Progress, Scalar

AMOUNT = NumberParam("amount", 0.0, 0.999, default=0.5,
                     description="Fraction of the parameters set to zero.")
_PRUNE = {"global magnitude prune": ("global", "gprune"), "layer-wise magnitude prune": ("layer", "lprune")}
_QUANTIZE = {"quantize": (False, "int8"), "quantize (calibrated)": (True, "int8-calib")}


class DemoLauncher(Launcher):
    """Magnitude pruning (global, layer-wise), int8 quantisation and fine-tuning of a demo model."""

    def operations(self) -> list[OperationSchema]:
        """The demo's operations a newcomer can start from a map node."""
        return [
            OperationSchema("global magnitude prune", (AMOUNT,),
                            "Zero the smallest |values| ranked over all parameters."),
            OperationSchema("layer-wise magnitude prune", (AMOUNT,),
                            "Zero the same fraction of each conv/linear tensor."),
            OperationSchema("quantize", (), "int8 per-channel weights; activations stay float."),
            OperationSchema("quantize (calibrated)", (),
                            "int8 weights and uint8 activations calibrated on training images."),
            OperationSchema("fine-tune", (NumberParam("epochs", 1, 30, integer=True,
                                                      default=FINETUNE_EPOCHS),),
                            "Retrain with pruned parameters held at zero."),
        ]

    def model_id(self, base: str, operation: str, parameters: Mapping[str, Scalar]) -> str:
        """The build's naming: cnn-gprune30, cnn-int8, cnn-ft (a second one gets -2)."""
        if operation in _PRUNE:
            return f"{base}-{_PRUNE[operation][1]}{round(float(parameters['amount']) * 100)}"
        if operation in _QUANTIZE:
            return f"{base}-{_QUANTIZE[operation][1]}"
        epochs = parameters.get("epochs")
        return f"{base}-ft" if epochs == FINETUNE_EPOCHS else f"{base}-ft{epochs}"

    def run(self, base: Model, operation: str, parameters: Mapping[str, Scalar],
            checkpoint: Path, progress: Progress) -> Produced:
        """Load the base, apply the operation with DemoBuilder, which saves and measures it."""
        assert base.checkpoint is not None
        # DemoBuilder saves to <its root>/checkpoints/<id>.pt: the path launch_one reserved
        builder = DemoBuilder(checkpoint.parent.parent / "models.yaml", progress)
        builder.nets[base.id] = load_checkpoint(Path(base.checkpoint))
        mid = checkpoint.stem
        with threads(TRAIN_THREADS):  # as the build: the measured latency is one thread's
            if operation in _PRUNE:
                builder.prune(base.id, _PRUNE[operation][0], float(parameters["amount"]), mid)
            elif operation in _QUANTIZE:
                builder.quantize(base.id, _QUANTIZE[operation][0], mid)
            elif operation == "fine-tune":
                builder.fine_tune(base.id, mid, int(parameters["epochs"]))
            else:
                raise ValueError(f"unknown operation '{operation}'")
        entry = builder.entries[-1]
        return Produced(metrics=entry["metrics"], tag=entry["tag"],
                        recorded=entry["operation"]["parameters"])
