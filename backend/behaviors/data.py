"""The data of one comparison set: every comparison's per-instance vectors, the predictions
and the class membership, immutable (shared between requests and users)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from backend.behaviors.vectors import _NEEDS, Progress, _kind_vectors, _reduce, _rows
from backend.inference.protocol import EXACT_MATCH_OUTPUT, TEXT_OUTPUT, ComparisonSpec
from backend.inference.text_scores import score_answers

CORRECTNESS = "Correctness"
CORRECTNESS_OPTIONS = {"relative": True, "format": ".1%"}
EMPTY_ANSWER = "∅ (empty answer)"  # how an empty generation reads: visible, never a blank cell


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """One comparison's per-instance vectors, (k, n) float64; models in BehaviorData order."""

    name: str
    kind: str
    options: dict
    difference: np.ndarray
    value: np.ndarray | None

    @property
    def has_value(self) -> bool:
        """Whether raw values exist (mse and kl_divergence have none: Relative mode only)."""
        return self.value is not None

    @property
    def relative(self) -> bool:
        """Class means of the difference are divided by the base's class mean (spec §1.9)."""
        return bool(self.options.get("relative")) and self.has_value


@dataclass(frozen=True, eq=False)
class BehaviorData:
    """Everything the Behaviors page queries, immutable (shared between requests and users)."""

    models: tuple[str, ...]
    labels: np.ndarray
    class_names: tuple[str, ...]
    instance_ids: np.ndarray
    predicted: np.ndarray
    comparisons: dict[str, ComparisonResult]
    members: sp.csr_matrix | None = None
    # Generative models: ``predicted`` holds codes into ``answers`` (every distinct generated
    # string), correctness is ``exact`` (k, n) and ``references`` are the instances' labels.
    answers: tuple[str, ...] | None = None
    exact: np.ndarray | None = None
    references: tuple[tuple[str, ...], ...] | None = None

    @property
    def generative(self) -> bool:
        """Whether predictions are generated text (not classes)."""
        return self.answers is not None

    @property
    def base(self) -> str:
        """The base model (always first)."""
        return self.models[0]

    @property
    def n(self) -> int:
        """Number of instances."""
        return len(self.labels)

    def correct(self) -> np.ndarray:
        """(k, n) bool: each model's prediction equals the label."""
        return self._correct

    @cached_property
    def _correct(self) -> np.ndarray:
        if self.exact is not None:
            return self.exact
        return _frozen(self.predicted == self.labels[None, :])

    def prediction_name(self, p: int) -> str:
        """What a prediction code reads as: the generated answer (whole; an empty one says so),
        or the class name."""
        if self.answers is not None:
            return self.answers[p] if 0 <= p < len(self.answers) and self.answers[p] else EMPTY_ANSWER
        return self.class_name(p)

    def label_name(self, i: int) -> str:
        """Instance ``i``'s label: its reference answers, or its class name."""
        if self.references is not None:
            return " | ".join(self.references[i])
        return self.class_name(int(self.labels[i]))

    @property
    def n_predictions(self) -> int:
        """How many prediction codes there can be (pair codes are base × this + model)."""
        if self.answers is not None:
            return max(1, len(self.answers))
        return max(len(self.class_names), int(self.predicted.max(initial=0)) + 1)

    @cached_property
    def wrong(self) -> np.ndarray:
        """(n,) how many of the models get each instance wrong."""
        return _frozen((~self._correct).sum(axis=0))

    @cached_property
    def membership(self) -> sp.csr_matrix:
        """(n, classes) 0/1 float: the given members, else one class per instance (its label)."""
        if self.members is not None:
            m = sp.csr_matrix(self.members, dtype=np.float64, copy=True)
            m.data[:] = 1.0
            return m
        classes = len(self.class_names)
        ok = (self.labels >= 0) & (self.labels < classes)
        rows = np.flatnonzero(ok)
        return sp.csr_matrix((np.ones(len(rows)), (rows, self.labels[ok])), shape=(self.n, classes))

    @cached_property
    def by_class(self) -> sp.csr_matrix:
        """(classes, n): the membership transposed, rows are classes (class sums are one product)."""
        return self.membership.T.tocsr()

    def in_class(self, c: int) -> np.ndarray:
        """(n,) bool: instances that belong to class ``c``."""
        mask = np.zeros(self.n, dtype=bool)
        if 0 <= c < self.by_class.shape[0]:
            t = self.by_class
            mask[t.indices[t.indptr[c]:t.indptr[c + 1]]] = True
        return mask

    def class_name(self, c: int) -> str:
        """The class's name, or its number for a prediction beyond the named classes."""
        return self.class_names[c] if 0 <= c < len(self.class_names) else str(c)


def _prediction_output(base_outputs: Mapping[str, np.ndarray], base: str) -> str:
    if "probs" in base_outputs:
        return "probs"
    for name, a in base_outputs.items():
        if np.ndim(a) == 2:
            return name
    raise ValueError(f"model '{base}' has no 2-D output to take predictions from")


def text_predictions(models: Sequence[str], outputs: Mapping[str, Mapping[str, np.ndarray]],
                     references: Sequence[Sequence[str]],
                     n: int) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """(codes (k, n), the distinct answers, exact match (k, n) bool) of generative models.

    Codes index the sorted distinct answers, so equal strings compare equal as integers (flip
    matrix, top changes). Exact match is the inspector's ``exact_match`` output where given,
    else computed here with SQuAD's normalisation (``backend.inference.text_scores``).
    """
    texts, exact = [], []
    for m in models:
        text = np.asarray(outputs[m].get(TEXT_OUTPUT))
        if text.ndim != 1 or text.dtype.kind not in "US" or len(text) != n:
            raise ValueError(f"model '{m}': a generative model needs a 1-D string output '{TEXT_OUTPUT}' "
                             f"with {n} rows (one answer per instance)")
        text = text.astype(str)
        texts.append(text)
        em = outputs[m].get(EXACT_MATCH_OUTPUT)
        if em is None:
            em = score_answers(text.tolist(), references)["exact_match"]
        exact.append(np.asarray(em, dtype=np.float64).reshape(-1) >= 0.5)
    answers, codes = np.unique(np.concatenate(texts), return_inverse=True)
    return (codes.reshape(len(models), n).astype(np.int64), tuple(answers.tolist()), np.stack(exact))


def build_behavior_data(models: Sequence[str], outputs: Mapping[str, Mapping[str, np.ndarray]],
                        labels: np.ndarray, class_names: Sequence[str], instance_ids: np.ndarray,
                        specs: Sequence[ComparisonSpec], members: Any = None,
                        progress: Progress | None = None,
                        references: Sequence[Sequence[str]] | None = None) -> BehaviorData:
    """Every comparison of ``models`` (base first) in one chunked pass per output.

    Correctness comes first; an inspector comparison named like it is skipped, and of two
    specs with one name the first wins. With ``references`` the models are generative:
    predictions are their ``text`` outputs and Correctness is exact match.
    """
    models = tuple(models)
    if not models:
        raise ValueError("no models to compare")
    if len(set(models)) != len(models):
        raise ValueError(f"duplicate models in {list(models)}")
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and not np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(f"labels must be a 1-D integer array, got {labels.dtype} {labels.shape}")
    labels = labels.astype(np.int64)
    n = len(labels)
    ids = np.asarray(instance_ids)
    if len(ids) != n:
        raise ValueError(f"{len(ids)} instance ids for {n} labels")
    base = models[0]
    for m in models:
        if m not in outputs:
            raise ValueError(f"no outputs for model '{m}'")
    generative = references is not None
    pred_output = None if generative else _prediction_output(outputs[base], base)
    specs = [s for i, s in enumerate(specs) if s.name != CORRECTNESS
             and all(t.name != s.name for t in specs[:i])]
    needs: dict[str, set[str]] = {} if generative else {pred_output: {"argmax"}}
    for spec in specs:
        needs.setdefault(spec.output, set()).update(_NEEDS[spec.kind])
    for name in needs:
        if name not in outputs[base]:
            raise ValueError(f"model '{base}' has no output '{name}'")
        shape = np.shape(outputs[base][name])
        if not shape or shape[0] != n:
            raise ValueError(f"model '{base}': output '{name}' has shape {shape}, expected {n} rows")
        for m in models[1:]:
            if name not in outputs[m]:
                raise ValueError(f"model '{m}' has no output '{name}'")
            if np.shape(outputs[m][name]) != shape:
                raise ValueError(f"model '{m}': output '{name}' has shape {np.shape(outputs[m][name])}, "
                                 f"the base '{base}' has {shape}")
    if not generative and np.ndim(outputs[base][pred_output]) != 2:
        raise ValueError(f"model '{base}': output '{pred_output}' is not 2-D, cannot take predictions")
    reduced: dict[str, dict[str, np.ndarray]] = {}
    for i, (name, wanted) in enumerate(needs.items()):
        step = None if progress is None else _scaled(progress, i, len(needs), f"comparing '{name}'")
        reduced[name] = _reduce([outputs[m][name] for m in models], frozenset(wanted), step)
    answers = exact = refs = None
    if generative:
        refs = tuple(tuple(str(a) for a in row) for row in references)
        if len(refs) != n:
            raise ValueError(f"{len(refs)} reference rows for {n} instances")
        predicted, answers, exact = text_predictions(models, outputs, refs, n)
        correct = exact.astype(np.float64)
        exact = _frozen(exact)
    else:
        predicted = reduced[pred_output]["argmax"]
        correct = (predicted == labels[None, :]).astype(np.float64)
    comparisons = {CORRECTNESS: ComparisonResult(CORRECTNESS, "difference", dict(CORRECTNESS_OPTIONS),
                                                 _frozen(correct - correct[0]), _frozen(correct))}
    for spec in specs:
        features = _rows(outputs[base][spec.output]).shape[1]
        diff, value = _kind_vectors(spec.kind, reduced[spec.output], features)
        comparisons[spec.name] = ComparisonResult(spec.name, spec.kind, dict(spec.options), _frozen(diff),
                                                  None if value is None else _frozen(value))
    if members is not None:
        members = sp.csr_matrix(members)
        if members.shape != (n, len(class_names)):
            raise ValueError(f"class membership has shape {members.shape}, "
                             f"expected ({n}, {len(class_names)})")
    return BehaviorData(models, _frozen(labels), tuple(class_names), ids, _frozen(predicted), comparisons,
                        members, answers, exact, refs)


def _scaled(progress: Progress, part: int, parts: int, message: str) -> Progress:
    """Progress of one of ``parts`` equal passes, reported on the whole."""
    def report(done: int, total: int, _message: str) -> None:
        progress(part * total + done, parts * total, message)
    return report
