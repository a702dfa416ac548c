"""Hugging Face inspectors, configured without Python: sequence-to-sequence and causal LMs, and
text classifiers (``SequenceClassifierInspector``, at the end of this module).

Why: compression work is mostly on language models, and a user's checkpoints are folders
written by ``save_pretrained`` (model and tokenizer). Naming one of these classes in the
config's ``inspector:`` section is all it takes:

    inspector:
      module: backend.inference.hf
      class: Seq2SeqInspector          # or CausalLMInspector
      options:
        data: qa.jsonl                 # {"id", "question", "context", "answers": [...], "group"?}
        prompt: "question: {question} context: {context}"
        max_new_tokens: 16

Each prediction is the generated answer (greedy by default, ``num_beams`` optional, batched
with padding, deterministic), scored per instance against the references with SQuAD's token
F1 and exact match (``backend.inference.text_scores``). Folders load with
``local_files_only``, safetensors only and never ``trust_remote_code``. A folder holding
``cc_quantization.json`` (``{"method": "dynamic", "dtype": "qint8"}``) is loaded in float and
then dynamically quantized (torch's packed int8 Linear layers cannot be saved as safetensors);
the Layers page unpacks those layers (``TorchInspector``). ``transformers`` is the optional
extra ``[hf]``; without it these inspectors fail with one line that names the extra.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from backend.experiment.forest import Model
from backend.experiment.schema import did_you_mean
from backend.inference.protocol import (
    TEXT_OUTPUT,
    ComparisonSpec,
    EvalDataset,
    InspectorError,
    RenderedInstance,
)
from backend.inference.text_scores import score_answers
from backend.inference.torch_base import TorchInspector, leaf_modules

EXTRA = "pip install 'compress-and-compare-dash[hf]'"
QUANTIZATION_FILE = "cc_quantization.json"
NO_GROUP = "all questions"
DEFAULT_PROMPTS = {"seq2seq": "question: {question} context: {context}",
                   "causal": "{context}\nQuestion: {question}\nAnswer:"}


MISSING = f"the Hugging Face inspectors need the optional extra [hf] (transformers): {EXTRA}"


def transformers_module() -> Any:
    """``transformers``, or one line naming the extra that installs it."""
    try:
        import transformers
    except ImportError:
        raise InspectorError(f"inspector: {MISSING}") from None
    transformers.utils.logging.disable_progress_bar()  # one bar per folder load would flood the log
    return transformers


@dataclass(frozen=True)
class QAItem:
    """One line of the data file."""

    id: str
    question: str
    context: str
    answers: tuple[str, ...]
    group: str | None = None


def read_qa(path: Path) -> list[QAItem]:
    """The items of a JSON-lines file; a bad line is one error naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InspectorError(f"inspector.options.data: cannot read {path}: {exc.strerror or exc}") from None
    items: list[QAItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"inspector.options.data: {path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InspectorError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(raw, dict):
            raise InspectorError(f"{where}: a line must be a JSON object")
        answers = raw.get("answers")
        if isinstance(answers, str):
            answers = [answers]
        if not isinstance(answers, list) or not answers or not all(isinstance(a, str) for a in answers):
            raise InspectorError(f"{where}: 'answers' must be a non-empty list of strings")
        for field in ("question", "context"):
            if not isinstance(raw.get(field, ""), str):
                raise InspectorError(f"{where}: '{field}' must be a string")
        ident = str(raw.get("id", number - 1))
        if ident in seen:
            raise InspectorError(f"{where}: id {ident!r} appears twice")
        seen.add(ident)
        group = raw.get("group")
        items.append(QAItem(ident, raw.get("question", ""), raw.get("context", ""), tuple(answers),
                            None if group is None else str(group)))
    if not items:
        raise InspectorError(f"inspector.options.data: {path} has no instances")
    return items


class _TextInspector(TorchInspector):
    """What both language-model inspectors share: data, prompts, loading, scoring, layers."""

    version = "1"
    family = "seq2seq"

    @classmethod
    def missing_requirement(cls) -> str | None:
        """The [hf] extra, found without importing it (the web process never needs it)."""
        try:
            found = importlib.util.find_spec("transformers") is not None
        except (ImportError, ValueError):  # a broken or None entry in sys.modules
            found = False
        return None if found else MISSING

    # --- options --------------------------------------------------------------------------
    def _option(self, name: str, default: Any, kind: type) -> Any:
        value = self.options.get(name, default)
        if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise InspectorError(f"inspector.options.{name}: must be a positive integer, got {value!r}")
        if kind is str and not isinstance(value, str):
            raise InspectorError(f"inspector.options.{name}: must be a string, got {value!r}")
        return value

    @property
    def max_new_tokens(self) -> int:
        return self._option("max_new_tokens", 16, int)

    @property
    def num_beams(self) -> int:
        return self._option("num_beams", 1, int)

    @property
    def max_input_tokens(self) -> int:
        return self._option("max_input_tokens", 512, int)

    @cached_property
    def prompt(self) -> str:
        template = self._option("prompt", DEFAULT_PROMPTS[self.family], str)
        try:
            template.format(question="", context="", id="", group="")
        except (KeyError, IndexError, ValueError) as exc:
            raise InspectorError(f"inspector.options.prompt: {template!r} may use only {{question}}, "
                                 f"{{context}}, {{id}} and {{group}} ({type(exc).__name__}: {exc})") from None
        return template

    # --- data -----------------------------------------------------------------------------
    @cached_property
    def _data_path(self) -> Path:
        data = self.options.get("data")
        if not isinstance(data, str) or not data:
            raise InspectorError("inspector.options.data: the path of a JSON-lines file is required "
                                 '(a line: {"id", "question", "context", "answers": [...], "group"?})')
        return self.resolve_path(data)

    @cached_property
    def items(self) -> list[QAItem]:
        """The instances, in file order."""
        return read_qa(self._data_path)

    def dataset(self) -> EvalDataset:
        """Text instances; the groups (question types) play the role of the class rows."""
        items = self.items
        groups = sorted({i.group for i in items if i.group is not None})
        if any(i.group is None for i in items):
            groups.append(NO_GROUP)
        index = {g: k for k, g in enumerate(groups)}
        # everything that changes the answers is in the key: data, prompt and generation settings
        settings = json.dumps([self.prompt, self.max_new_tokens, self.num_beams, self.max_input_tokens])
        digest = hashlib.sha256(self._data_path.read_bytes() + settings.encode()).hexdigest()
        return EvalDataset(ids=np.array([i.id for i in items]),
                           labels=np.array([index[i.group or NO_GROUP] for i in items], dtype=np.int64),
                           class_names=groups, kind="text", content_digest=digest,
                           references=tuple(i.answers for i in items))

    def prompts(self, indices: np.ndarray) -> list[str]:
        """The model inputs of dataset rows ``indices``."""
        items = self.items
        return [self.prompt.format(question=items[i].question, context=items[i].context, id=items[i].id,
                                   group=items[i].group or "") for i in np.asarray(indices).tolist()]

    def render_instance(self, index: int) -> RenderedInstance:
        """The question, then the context (the Behaviors page shows it whole)."""
        item = self.items[int(index)]
        return RenderedInstance("text/plain", f"{item.question}\n\n{item.context}")

    def comparisons(self) -> list[ComparisonSpec]:
        """Per-instance F1 against the references (Correctness is exact match, built in)."""
        return [ComparisonSpec("F1", "difference", "f1", {"format": ".1%", "relative": True})]

    # --- models ---------------------------------------------------------------------------
    def read_checkpoint(self, model: Model) -> Path:
        """The model's ``save_pretrained`` folder."""
        path = model.checkpoint
        if path is None:
            raise InspectorError(f"model '{model.id}': no checkpoint (a save_pretrained folder) in the "
                                 "models file")
        if not path.is_dir():
            raise InspectorError(f"model '{model.id}': checkpoint {path} is not a folder written by "
                                 "save_pretrained")
        return path

    def auto_class(self) -> Any:
        raise NotImplementedError

    def build_module(self, model: Model, checkpoint: Path) -> nn.Module:
        """Model and tokenizer from the folder (local, safetensors, no remote code)."""
        tf = transformers_module()
        try:
            tokenizer = tf.AutoTokenizer.from_pretrained(checkpoint, local_files_only=True,
                                                         trust_remote_code=False)
            module = getattr(tf, self.auto_class()).from_pretrained(
                checkpoint, local_files_only=True, trust_remote_code=False, use_safetensors=True)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise InspectorError(f"model '{model.id}': cannot load {checkpoint} with {self.auto_class()} "
                                 f"({first})") from None
        if tokenizer.pad_token is None:  # causal LMs often have none; batches need one
            tokenizer.pad_token = tokenizer.eos_token
        module = _quantized(module, checkpoint, model.id)
        module._cc_tokenizer = tokenizer
        return module

    def inputs(self, indices: np.ndarray) -> torch.Tensor:
        """Unused: language models take a dict of tensors (``encode``)."""
        raise InspectorError(f"{self.identity()} builds its inputs with encode(), not inputs()")

    def encode(self, loaded: nn.Module, texts: list[str], **kwargs: Any) -> dict[str, torch.Tensor]:
        """Tokenised, padded ``texts`` on the model's device."""
        padding = kwargs.pop("padding", True)
        length = kwargs.pop("max_length", self.max_input_tokens)
        enc = loaded._cc_tokenizer(texts, return_tensors="pt", padding=padding, truncation=True,
                                   max_length=length, **kwargs)
        return {k: v.to(self.device) for k, v in enc.items()}

    def generate(self, loaded: nn.Module, indices: np.ndarray) -> list[str]:
        """Greedy (or beam) answers of rows ``indices``, decoded without special tokens."""
        tokenizer = loaded._cc_tokenizer
        enc = self.encode(loaded, self.prompts(indices))
        with torch.inference_mode():
            out = loaded.generate(**enc, max_new_tokens=self.max_new_tokens, num_beams=self.num_beams,
                                  do_sample=False, pad_token_id=tokenizer.pad_token_id)
        if self.family == "causal":
            out = out[:, enc["input_ids"].shape[1]:]
        return [t.strip() for t in tokenizer.batch_decode(out, skip_special_tokens=True)]

    def predict(self, loaded: nn.Module, indices: np.ndarray) -> dict[str, np.ndarray]:
        """The generated answers and their F1 and exact match against the references."""
        texts = self.generate(loaded, indices)
        refs = [self.items[i].answers for i in np.asarray(indices).tolist()]
        return {TEXT_OUTPUT: np.array(texts, dtype=str), **score_answers(texts, refs)}

    # --- layers ---------------------------------------------------------------------------
    def activation_modules(self, loaded: nn.Module) -> list[str]:
        """Leaf modules that run in a teacher-forced forward pass and give one output row per
        instance, found by running one: tied copies that never run (T5's ``shared``), dropout
        and tables without a batch axis (relative position biases) are left out."""
        modules = dict(loaded.named_modules())
        leaves = {name: modules[name] for name in leaf_modules(loaded, self.quantized_modules(loaded))
                  if not isinstance(modules[name], nn.Dropout)}
        ran: set[str] = set()
        hooks = []
        for name, mod in leaves.items():
            def hook(_mod, _inp, output, name=name):
                tensor = output[0] if isinstance(output, tuple | list) else output
                if isinstance(tensor, torch.Tensor) and tensor.dim() > 0 and tensor.shape[0] == 2:
                    ran.add(name)
            hooks.append(mod.register_forward_hook(hook))
        rows = np.array([0, min(1, len(self.items) - 1)])
        try:
            with torch.inference_mode():
                loaded(**self.teacher_forced(loaded, rows, *self._lengths(loaded, rows)))
        finally:
            for h in hooks:
                h.remove()
        return [name for name in leaves if name in ran]

    def teacher_forced(self, loaded: nn.Module, indices: np.ndarray, length: int | None = None,
                       answer_length: int | None = None) -> dict[str, torch.Tensor]:
        """Model inputs for one forward pass over prompt and first reference answer, padded to
        fixed lengths so every batch's activations have the same shape."""
        raise NotImplementedError

    def forward_batches(self, loaded: nn.Module, indices: np.ndarray) -> None:
        """Prompt and first reference, teacher-forced, padded to one length for all ``indices``
        (so every batch's activations have the same shape and concatenate)."""
        indices = np.asarray(indices)
        length, answer_length = self._lengths(loaded, indices)
        for start in range(0, len(indices), self.batch_size):
            batch = indices[start:start + self.batch_size]
            loaded(**self.teacher_forced(loaded, batch, length, answer_length))

    def _lengths(self, loaded: nn.Module, indices: np.ndarray) -> tuple[int, int]:
        tokenizer = loaded._cc_tokenizer
        prompts = self.prompts(indices)
        answers = [self.items[i].answers[0] for i in indices.tolist()]
        length = max(len(ids) for ids in tokenizer(prompts, truncation=True,
                                                   max_length=self.max_input_tokens)["input_ids"])
        answer = max(len(ids) for ids in tokenizer(answers, truncation=True,
                                                   max_length=self.max_new_tokens)["input_ids"])
        return length, answer


class Seq2SeqInspector(_TextInspector):
    """``AutoModelForSeq2SeqLM`` folders (T5, BART, ...): prompt in, generated answer out."""

    family = "seq2seq"

    def auto_class(self) -> str:
        return "AutoModelForSeq2SeqLM"

    def teacher_forced(self, loaded: nn.Module, indices: np.ndarray, length: int | None = None,
                       answer_length: int | None = None) -> dict[str, torch.Tensor]:
        """Encoder input: the prompt; decoder labels: the first reference answer."""
        tokenizer = loaded._cc_tokenizer
        enc = self.encode(loaded, self.prompts(indices), padding="max_length", max_length=length)
        labels = tokenizer([self.items[i].answers[0] for i in np.asarray(indices).tolist()],
                           return_tensors="pt", padding="max_length", truncation=True,
                           max_length=answer_length)["input_ids"]
        labels[labels == tokenizer.pad_token_id] = -100
        return {**enc, "labels": labels.to(self.device)}


class CausalLMInspector(_TextInspector):
    """``AutoModelForCausalLM`` folders (GPT-2, Llama, ...): prompt in, completion out.

    Besides the answers it reports what llama.cpp's perplexity tool reports for quantized
    models, per instance: the negative log-likelihood of the reference answer (per token), and
    against the base, on the reference continuation, the KL divergence of the next-token
    distributions (summed over the answer's tokens, in bits) and how often the most likely
    next token agrees with the base's.
    """

    family = "causal"

    def auto_class(self) -> str:
        return "AutoModelForCausalLM"

    def build_module(self, model: Model, checkpoint: Path) -> nn.Module:
        module = super().build_module(model, checkpoint)
        module._cc_tokenizer.padding_side = "left"  # generation continues every row at its end
        return module

    def comparisons(self) -> list[ComparisonSpec]:
        """F1, the reference answer's NLL, token KL and top-token agreement against the base."""
        return [*super().comparisons(),
                ComparisonSpec("NLL of the reference answer (per token)", "difference", "nll",
                               {"format": ".3f"}),
                ComparisonSpec("Token KL divergence vs base (bits, summed over the answer)",
                               "kl_divergence", "token_probs", {"format": ".3f"}),
                ComparisonSpec("Top-token agreement with base", "agreement", "top_token",
                               {"format": ".1%"})]

    def teacher_forced(self, loaded: nn.Module, indices: np.ndarray, length: int | None = None,
                       answer_length: int | None = None) -> dict[str, torch.Tensor]:
        """Prompt and first reference answer as one left-padded sequence."""
        ids, mask, _ = self._sequences(loaded, indices, length, answer_length)
        return {"input_ids": ids, "attention_mask": mask}

    def _sequences(self, loaded: nn.Module, indices: np.ndarray, length: int | None,
                   answer_length: int | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(input ids, attention mask, answer-token mask): prompt + " " + answer + eos, every row
        left-padded to ``length + answer_length + 1``; the answer mask marks the answer tokens."""
        tokenizer = loaded._cc_tokenizer
        rows = np.asarray(indices).tolist()
        prompts = tokenizer(self.prompts(indices), truncation=True,
                            max_length=length or self.max_input_tokens, add_special_tokens=False)["input_ids"]
        answers = tokenizer([" " + self.items[i].answers[0] for i in rows], truncation=True,
                            max_length=answer_length or self.max_new_tokens,
                            add_special_tokens=False)["input_ids"]
        width = (length or max(map(len, prompts))) + (answer_length or max(map(len, answers)))
        pad = tokenizer.pad_token_id
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        answer_mask = torch.zeros((len(rows), width), dtype=torch.bool)
        for r, (p, a) in enumerate(zip(prompts, answers, strict=True)):
            seq = (p + a)[-width:]
            ids[r, width - len(seq):] = torch.tensor(seq, dtype=torch.long)
            mask[r, width - len(seq):] = 1
            answer_mask[r, width - len(a):] = True
        return ids.to(self.device), mask.to(self.device), answer_mask.to(self.device)

    def predict(self, loaded: nn.Module, indices: np.ndarray) -> dict[str, np.ndarray]:
        """Answers and scores, plus the reference answer's NLL and next-token distributions."""
        out = super().predict(loaded, indices)
        steps = self.max_new_tokens
        ids, mask, answer = self._sequences(loaded, indices, None, steps)
        with torch.inference_mode():
            logits = loaded(input_ids=ids, attention_mask=mask).logits.float()
        # position t predicts token t + 1: the answer's tokens are predicted from one step earlier
        logp = torch.log_softmax(logits[:, :-1], dim=-1)
        target, at = ids[:, 1:], answer[:, 1:]
        token_nll = -logp.gather(2, target.unsqueeze(-1)).squeeze(-1)
        counts = at.sum(dim=1).clamp_min(1)
        out["nll"] = ((token_nll * at).sum(dim=1) / counts).cpu().numpy().astype(np.float64)
        vocab = logits.shape[-1]
        probs = torch.zeros((len(indices), steps, vocab), dtype=torch.float32)
        top = torch.full((len(indices), steps), -1, dtype=torch.int64)
        for r in range(len(indices)):
            where = torch.nonzero(at[r]).flatten()[:steps]
            probs[r, :len(where)] = logp[r, where].exp().cpu()
            top[r, :len(where)] = logp[r, where].argmax(dim=-1).cpu()
        out["token_probs"] = probs.numpy()
        out["top_token"] = top.numpy()
        return out


def _quantized(module: nn.Module, folder: Path, model_id: str) -> nn.Module:
    """The module, dynamically quantized when the folder says so (``cc_quantization.json``)."""
    flag = folder / QUANTIZATION_FILE
    if not flag.is_file():
        return module
    try:
        spec = json.loads(flag.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InspectorError(f"model '{model_id}': {flag}: not readable JSON ({exc})") from None
    if not isinstance(spec, dict) or spec.get("method") != "dynamic" or spec.get("dtype", "qint8") != "qint8":
        raise InspectorError(f"model '{model_id}': {flag}: only {{\"method\": \"dynamic\", \"dtype\": "
                             "\"qint8\"} is supported")
    from torch.ao.quantization import quantize_dynamic

    return quantize_dynamic(module.eval(), {nn.Linear}, dtype=torch.qint8)


def quantization_flag(folder: Path) -> None:
    """Mark a saved folder as dynamically int8-quantized on load (what ``_quantized`` reads)."""
    (folder / QUANTIZATION_FILE).write_text(json.dumps({"method": "dynamic", "dtype": "qint8"}) + "\n")


# --- sequence classification ----------------------------------------------------------------

CLASSIFIER_OPTIONS = ("data", "labels", "labels_from", "max_input_tokens")
DEFAULT_LABEL = "LABEL_{}"  # what transformers names classes when a config gives no id2label


@dataclass(frozen=True)
class TextItem:
    """One line of a classification data file; ``label`` is a class name or a class index."""

    id: str
    text: str
    label: str | int
    text_pair: str | None = None


def read_labeled_texts(path: Path) -> list[TextItem]:
    """The items of a JSON-lines file ``{"id"?, "text", "label", "text_pair"?}``; a bad line is
    one error naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InspectorError(f"inspector.options.data: cannot read {path}: {exc.strerror or exc}") from None
    items: list[TextItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"inspector.options.data: {path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InspectorError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(raw, dict):
            raise InspectorError(f"{where}: a line must be a JSON object")
        if not isinstance(raw.get("text"), str):
            raise InspectorError(f"{where}: 'text' must be a string")
        pair = raw.get("text_pair")
        if pair is not None and not isinstance(pair, str):
            raise InspectorError(f"{where}: 'text_pair' must be a string")
        label = raw.get("label")
        if isinstance(label, bool) or not isinstance(label, str | int):
            raise InspectorError(f"{where}: 'label' must be a class name or a class index, got {label!r}")
        ident = str(raw.get("id", number - 1))
        if ident in seen:
            raise InspectorError(f"{where}: id {ident!r} appears twice")
        seen.add(ident)
        items.append(TextItem(ident, raw["text"], label, pair))
    if not items:
        raise InspectorError(f"inspector.options.data: {path} has no instances")
    if len({i.text_pair is None for i in items}) > 1:
        raise InspectorError(f"inspector.options.data: {path}: give 'text_pair' on every line or on none")
    return items


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
