"""Hugging Face inspectors, configured without Python: sequence-to-sequence and causal LMs, and
text classifiers (``SequenceClassifierInspector``, in ``hf_classifier``, named through this module too).

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
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from backend.experiment.forest import Model
from backend.inference.hf_data import QAItem, TextItem, json_lines, read_labeled_texts, read_qa  # noqa: F401
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



_CLASSIFIER = ("CLASSIFIER_OPTIONS", "DEFAULT_LABEL", "SequenceClassifierInspector", "id2label_names")


def __getattr__(name: str) -> Any:
    """The text classifier's names, from ``backend.inference.hf_classifier`` (configs may name
    ``backend.inference.hf.SequenceClassifierInspector``); imported on first use, since that
    module builds on ``_TextInspector`` here."""
    if name in _CLASSIFIER:
        from backend.inference import hf_classifier

        return getattr(hf_classifier, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
