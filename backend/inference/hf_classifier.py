"""``SequenceClassifierInspector``: Hugging Face text classifiers, configured without Python.

Why its own module: it shares the language-model inspectors' loading and batching
(``backend.inference.hf._TextInspector``) but nothing of their generation and scoring.
``backend.inference.hf`` re-exports it, so configs name either module.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from backend.experiment.forest import Model
from backend.experiment.schema import did_you_mean
from backend.inference.hf import _TextInspector
from backend.inference.hf_data import TextItem, read_labeled_texts
from backend.inference.protocol import ComparisonSpec, EvalDataset, InspectorError, RenderedInstance
from backend.inference.torch_base import TorchInspector

CLASSIFIER_OPTIONS = ("data", "labels", "labels_from", "max_input_tokens")
DEFAULT_LABEL = "LABEL_{}"  # what transformers names classes when a config gives no id2label


def id2label_names(config: Any, where: str) -> list[str]:
    """Class names in logit order from a config's ``id2label`` (a dict or a parsed config.json)."""
    mapping = config.get("id2label") if isinstance(config, dict) else getattr(config, "id2label", None)
    if not isinstance(mapping, dict) or not mapping:
        raise InspectorError(f"{where}: has no id2label")
    try:
        by_index = {int(k): str(v) for k, v in mapping.items()}
    except (TypeError, ValueError):
        raise InspectorError(f"{where}: id2label keys must be class indices, "
                             f"got {list(mapping)[:3]}") from None
    if sorted(by_index) != list(range(len(by_index))):
        raise InspectorError(f"{where}: id2label must number the classes 0..{len(by_index) - 1}")
    return [by_index[i] for i in range(len(by_index))]


class SequenceClassifierInspector(_TextInspector):
    """``AutoModelForSequenceClassification`` folders (BERT, DistilBERT, RoBERTa, ...).

    Predictions are ``logits`` and softmax ``probs`` (so the default probability comparisons
    apply); the Layers page gets every parameter and the activations of every leaf module, as
    for the language models. The loading (local folders, safetensors, no remote code, the
    ``cc_quantization.json`` int8 flag) and the batching are ``_TextInspector``'s.

    Class names, in logit order: ``labels`` when given; else the ``id2label`` of the
    ``config.json`` in the folder ``labels_from`` (a model folder, typically the base's); else
    the sorted distinct label names of the data file (or "0".."K-1" when its labels are all
    indices). Names taken from ``labels_from`` or the data are checked against each model's own
    ``id2label`` when it loads (transformers' default ``LABEL_0``... names are not), so classes
    in another order are one line rather than silently wrong correctness.
    """

    version = "1"
    family = "classifier"

    def auto_class(self) -> str:
        return "AutoModelForSequenceClassification"

    # --- data -----------------------------------------------------------------------------
    @cached_property
    def _data_path(self) -> Path:
        for key in self.options:
            if key not in CLASSIFIER_OPTIONS:
                raise InspectorError(f"inspector.options.{key}: unknown option for "
                                     f"SequenceClassifierInspector{did_you_mean(key, CLASSIFIER_OPTIONS)} "
                                     f"(options: {', '.join(CLASSIFIER_OPTIONS)})")
        data = self.options.get("data")
        if not isinstance(data, str) or not data:
            raise InspectorError("inspector.options.data: the path of a JSON-lines file is required "
                                 '(a line: {"id", "text", "label", "text_pair"?})')
        return self.resolve_path(data)

    @cached_property
    def items(self) -> list[TextItem]:  # type: ignore[override]
        """The instances, in file order."""
        return read_labeled_texts(self._data_path)

    @cached_property
    def class_names_and_source(self) -> tuple[list[str], str]:
        """(class names in logit order, where they came from: labels, labels_from, data, indices)."""
        labels, source = self.options.get("labels"), self.options.get("labels_from")
        if labels is not None and source is not None:
            raise InspectorError("inspector.options.labels: give labels or labels_from, not both")
        if labels is not None:
            if (not isinstance(labels, list) or not labels or not all(isinstance(n, str) for n in labels)
                    or len(set(labels)) != len(labels)):
                raise InspectorError(f"inspector.options.labels: must be a list of distinct class names in "
                                     f"the models' output order, got {labels!r}")
            return list(labels), "labels"
        if source is not None:
            if not isinstance(source, str) or not source:
                raise InspectorError(f"inspector.options.labels_from: must be a model folder, got {source!r}")
            path = self.resolve_path(source)
            path = path if path.name == "config.json" else path / "config.json"
            where = f"inspector.options.labels_from: {path}"
            try:
                config = json.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise InspectorError(f"{where}: cannot read ({exc.strerror or exc})") from None
            except json.JSONDecodeError as exc:
                raise InspectorError(f"{where}: not JSON ({exc.msg})") from None
            return id2label_names(config, where), "labels_from"
        named = {i.label for i in self.items if isinstance(i.label, str)}
        if named and len(named) < len({i.label for i in self.items}):
            raise InspectorError(f"inspector.options.data: {self._data_path}: labels mix class names and "
                                 "indices; give inspector.options.labels or labels_from")
        if named:
            return sorted(named), "data"
        return [str(k) for k in range(max(int(i.label) for i in self.items) + 1)], "indices"

    def dataset(self) -> EvalDataset:
        """Text instances with their class indices; numpy only (the web process runs it)."""
        names, _ = self.class_names_and_source
        index = {n: k for k, n in enumerate(names)}
        labels = []
        for item in self.items:
            if isinstance(item.label, str):
                if item.label not in index:
                    raise InspectorError(f"inspector.options.data: {self._data_path}: id {item.id!r}: "
                                         f"label '{item.label}' is not a class name"
                                         f"{did_you_mean(item.label, names)} (classes: {', '.join(names)})")
                labels.append(index[item.label])
            elif not 0 <= item.label < len(names):
                raise InspectorError(f"inspector.options.data: {self._data_path}: id {item.id!r}: label "
                                     f"{item.label} is not a class index (0..{len(names) - 1})")
            else:
                labels.append(item.label)
        digest = hashlib.sha256(self._data_path.read_bytes())
        digest.update(json.dumps([names, self.max_input_tokens]).encode())
        return EvalDataset(ids=np.array([i.id for i in self.items]), labels=np.array(labels, dtype=np.int64),
                           class_names=names, kind="text", content_digest=digest.hexdigest())

    def render_instance(self, index: int) -> RenderedInstance:
        """The text (and its pair, after a blank line)."""
        item = self.items[int(index)]
        text = item.text if item.text_pair is None else f"{item.text}\n\n{item.text_pair}"
        return RenderedInstance("text/plain", text)

    def comparisons(self) -> list[ComparisonSpec]:
        """The default probability comparisons (not the generative F1)."""
        return TorchInspector.comparisons(self)

    # --- models ---------------------------------------------------------------------------
    def build_module(self, model: Model, checkpoint: Path) -> nn.Module:
        """The folder's classifier, its ``id2label`` checked against the class names."""
        module = super().build_module(model, checkpoint)
        names, source = self.class_names_and_source
        if source in ("labels_from", "data"):
            theirs = id2label_names(module.config, f"model '{model.id}': {checkpoint}/config.json")
            default = [DEFAULT_LABEL.format(k) for k in range(len(theirs))]
            if theirs != default and theirs != names:
                fix = ("set inspector.options.labels to use the names given anyway" if source == "labels_from"
                       else "set inspector.options.labels_from to a model folder to use its order")
                raise InspectorError(f"model '{model.id}': its config.json id2label {theirs} differs from "
                                     f"the class names {names} (from {source.replace('_', ' ')}); {fix}")
        return module

    def encode_rows(self, loaded: nn.Module, indices: np.ndarray, **kwargs: Any) -> dict[str, torch.Tensor]:
        """Tokenised texts (and pairs) of rows ``indices`` on the model's device."""
        rows = [self.items[i] for i in np.asarray(indices).tolist()]
        if rows and rows[0].text_pair is not None:
            kwargs["text_pair"] = [r.text_pair for r in rows]
        return self.encode(loaded, [r.text for r in rows], **kwargs)

    def predict(self, loaded: nn.Module, indices: np.ndarray) -> dict[str, np.ndarray]:
        """Logits and softmax probabilities of rows ``indices``."""
        enc = self.encode_rows(loaded, indices)
        with torch.inference_mode():
            logits = loaded(**enc).logits
        return {name: t.detach().float().cpu().numpy() for name, t in self.outputs(logits).items()}

    # --- layers ---------------------------------------------------------------------------
    def teacher_forced(self, loaded: nn.Module, indices: np.ndarray, length: int | None = None,
                       answer_length: int | None = None) -> dict[str, torch.Tensor]:
        """The texts padded to ``length`` tokens, so every batch's activations have one shape."""
        return self.encode_rows(loaded, indices, padding="max_length", max_length=length)

    def _lengths(self, loaded: nn.Module, indices: np.ndarray) -> tuple[int, int]:
        rows = [self.items[i] for i in np.asarray(indices).tolist()]
        pairs = [r.text_pair for r in rows] if rows[0].text_pair is not None else None
        enc = loaded._cc_tokenizer([r.text for r in rows], text_pair=pairs, truncation=True,
                                   max_length=self.max_input_tokens)
        return max(len(ids) for ids in enc["input_ids"]), 0
