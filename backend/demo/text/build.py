"""Build the text demo: train a small T5 on generated questions, compress it for real, measure
every model through the app's own inspector, and write the models file.

The paper's first case study (T5 on SQuAD) on a model trained here: global magnitude pruning,
per-layer pruning that spares the layer norms, restoring the layer norms, pruning attention or
feed-forward only, int8 quantization and fine-tuned repairs. Each model is a
``save_pretrained`` folder (safetensors + tokenizer) under ``checkpoints/<id>/``; the held-out
questions are ``qa.jsonl`` beside the models file. Checkpoints first, the models file last and
atomically: a killed build leaves no models file, and the next start builds again.
"""

from __future__ import annotations

import copy
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch import nn

from backend.demo.text import compress as C
from backend.demo.text import measure as M
from backend.demo.text.catalog import METRICS, NAME, OPERATIONS, group_metric
from backend.demo.text.data import GROUPS, QA, evaluation_set, training_set, vocabulary, write_jsonl
from backend.demo.text.tokenizer import build_tokenizer
from backend.demo.text.train import BATCH, PROMPT, encode, fit, new_model

TRAIN_QUESTIONS = 48_000
TRAIN_STEPS = 1200
TRAIN_LR = 1e-3
WARMUP = 100
RETRAIN_STEPS = 150
RETRAIN_LR = 5e-4
RETRAIN_WARMUP = 20
SEED = 0
EVAL_BATCH = 64  # the config's inspector batch_size: predictions come in the engine's batches
MAX_NEW_TOKENS = 6
AMOUNTS = (0.1, 0.3, 0.5, 0.7, 0.9)


def inspector_options(qa_path: Path | str) -> dict[str, Any]:
    """The inspector options the models are measured with (configs/demo-text.yaml says the same)."""
    return {"data": str(qa_path), "prompt": PROMPT, "max_new_tokens": MAX_NEW_TOKENS}


def pct(amount: float) -> int:
    """30 for 0.3: the number in the model ids."""
    return round(amount * 100)


class TextDemoBuilder:
    """Derives, saves and measures models one operation at a time; keeps float models for children."""

    def __init__(self, root: Path, log: Callable[[str], None]) -> None:
        from backend.inference.hf import Seq2SeqInspector

        self.root = root
        self.log = log
        self.train: list[QA] = training_set(TRAIN_QUESTIONS)
        self.test: list[QA] = evaluation_set(self.train)
        write_jsonl(self.test, root / "qa.jsonl")
        self.tokenizer = build_tokenizer(vocabulary())
        self.batches = encode(self.train, self.tokenizer)
        self.inspector = Seq2SeqInspector(options=inspector_options(root / "qa.jsonl"), device="cpu",
                                          batch_size=EVAL_BATCH)
        self.groups = np.array([q.group for q in self.test])
        self.models: dict[str, nn.Module] = {}
        self.answers: dict[str, list[str]] = {}
        self.entries: list[dict[str, Any]] = []
        self.t0 = time.perf_counter()
        self.c0 = time.process_time()

    # -- recording -------------------------------------------------------------------------
    def record(self, mid: str, tag: str, base: str | None, op: str, params: dict[str, Any],
               model: nn.Module, quantize: bool = False) -> str:
        """Save the folder, load it as the app does, measure it, and add the model entry."""
        from backend.inference.hf import quantization_flag

        folder = self.root / "checkpoints" / mid
        if folder.exists():
            shutil.rmtree(folder)  # never keep a stale quantization flag or file
        model.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.save_pretrained(folder)
        if quantize:
            quantization_flag(folder)
        loaded = M.load(self.inspector, mid, folder)
        out = M.answers(self.inspector, loaded)
        f1, em = M.scores(out)
        mean_ms, std_ms = M.latency_ms(self.inspector, loaded)
        zeroed, norms = C.zeroed_normalization(model)
        metrics = {"F1": f1, "Exact Match": em, "Latency": mean_ms, "Model Size": float(M.size_bytes(loaded)),
                   "Sparsity": M.sparsity(loaded), "Latency Std": std_ms, "Zeroed Norm Gains": zeroed / norms}
        for group in GROUPS:
            metrics[group_metric(group)] = float(out["exact_match"][self.groups == group].mean())
        self.entries.append({"id": mid, "tag": tag, "base": base,
                             "operation": {"name": op, "parameters": params},
                             "metrics": {k: float(v) for k, v in metrics.items()},
                             "checkpoint": f"checkpoints/{mid}"})
        self.models[mid] = model
        self.answers[mid] = M.generated(out)
        self.log(f"text demo: {len(self.entries):>2} models  {mid:<24} EM {em:.3f}  F1 {f1:.3f}  "
                 f"sparsity {metrics['Sparsity']:.3f}  ({self.elapsed()})")
        return mid

    def elapsed(self) -> str:
        """Wall and CPU time since the build started, for the log."""
        return f"{time.perf_counter() - self.t0:.0f} s, CPU {time.process_time() - self.c0:.0f} s"

    # -- operations ------------------------------------------------------------------------
    def train_root(self, mid: str) -> str:
        model = new_model(len(self.tokenizer), SEED)
        fit(model, self.batches, TRAIN_STEPS, TRAIN_LR, seed=SEED, warmup=WARMUP, log=self.log,
            what=f"train {mid}")
        return self.record(mid, f"T5 trained {TRAIN_STEPS} steps", None, "Train",
                           {"steps": TRAIN_STEPS, "batch": BATCH}, model)

    def prune(self, base: str, amount: float) -> str:
        parent = self.models[base]
        return self.record(f"{base}-prune{pct(amount)}", f"Global magnitude pruning {amount:.0%}", base,
                           "Pruning", {"sparsity": amount},
                           C.apply_masks(parent, C.global_magnitude_masks(parent, amount)))

    def prune_layerwise(self, base: str, amount: float) -> str:
        parent = self.models[base]
        return self.record(f"{base}-lprune{pct(amount)}", f"Layerwise pruning {amount:.0%}", base,
                           "Layerwise Pruning", {"sparsity": amount},
                           C.apply_masks(parent, C.layerwise_magnitude_masks(parent, amount)))

    def prune_part(self, base: str, amount: float, part: str) -> str:
        parent = self.models[base]
        short = {"attention": "attn", "feedforward": "ffn"}[part]
        return self.record(f"{base}-{short}{pct(amount)}", f"{part.capitalize()} pruning {amount:.0%}", base,
                           "Selective Pruning", {"sparsity": amount, "layers": part},
                           C.apply_masks(parent, C.part_masks(parent, amount, part)))

    def restore_norms(self, base: str, original: str) -> str:
        return self.record(f"{base}-restore-norms", f"Layer norms restored from {original}", base,
                           "Restore", {"layers": "layernorms"},
                           C.restore_normalization(self.models[base], self.models[original]))

    def retrain(self, base: str) -> str:
        model = copy.deepcopy(self.models[base])
        fit(model, self.batches, RETRAIN_STEPS, RETRAIN_LR, seed=SEED + 1, warmup=RETRAIN_WARMUP,
            masks=C.zero_masks(model), log=self.log, what=f"retrain {base}")
        return self.record(f"{base}-retrain", f"Retrained {RETRAIN_STEPS} steps, zeros kept", base,
                           "Retrain", {"steps": RETRAIN_STEPS}, model)

    def quantize(self, base: str) -> str:
        return self.record(f"{base}-int8", "int8 dynamic quantization", base, "Quantize",
                           {"precision": "int8", "method": "dynamic"}, self.models[base], quantize=True)

    # -- output ----------------------------------------------------------------------------
    def write(self, models_path: Path) -> None:
        doc = {"name": NAME, "operations": OPERATIONS, "metrics": METRICS, "models": self.entries}
        tmp = models_path.with_suffix(".yaml.tmp")
        tmp.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        os.replace(tmp, models_path)


def recipe(b: TextDemoBuilder) -> None:
    """The demo's models: the paper's T5 case study, measured on this model.

    Global pruning up to 99 % (the layer-norm gains sit near 1 and are reached only there),
    per-layer pruning at the same amounts, attention-only and feed-forward-only pruning, the
    paper's repair (restore the layer norms) where pruning did zero them, int8, and retraining
    of the most damaged models.
    """
    t5 = b.train_root("t5")
    for amount in (*AMOUNTS, 0.99):
        b.prune(t5, amount)
    for amount in AMOUNTS:
        b.prune_layerwise(t5, amount)
    for part, amounts in (("attention", (0.5, 0.7, 0.9)), ("feedforward", (0.5, 0.9))):
        for amount in amounts:
            b.prune_part(t5, amount, part)
    b.restore_norms("t5-prune99", t5)
    b.quantize(t5)
    b.quantize("t5-prune50")
    for pruned in ("t5-prune70", "t5-attn90"):
        b.retrain(pruned)


def build(models_path: Path, cache_dir: Path, log: Callable[[str], None]) -> None:
    """Train and compress the text demo's models; write checkpoints and ``models_path`` atomically."""
    from transformers.utils import logging as hf_logging

    del cache_dir  # everything lives next to the models file
    hf_logging.disable_progress_bar()  # one bar per saved and loaded folder would bury the log
    models_path.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    b = TextDemoBuilder(models_path.parent, log)
    log(f"text demo: training a T5 on {len(b.train)} generated questions ({TRAIN_STEPS} steps of "
        f"{BATCH}); {len(b.test)} held-out questions")
    recipe(b)
    b.write(models_path)
    log(f"text demo: built {len(b.entries)} models in {b.elapsed()} -> {models_path}")
