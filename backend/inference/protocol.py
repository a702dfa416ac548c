"""The inspector plug-in API: what the app needs to know about a user's models and data.

A user subclasses ``Inspector`` (or ``TorchInspector``, which does the common torch work) and
names it in the config's ``inspector:`` section. The app only calls these methods, lazily, from
background jobs; results are cached by ``backend.infra.cache``.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from backend.experiment.forest import Model

COMPARISON_KINDS = ("difference", "abs_difference", "difference_argmax", "abs_difference_argmax",
                    "ratio", "ratio_argmax", "mse", "kl_divergence", "agreement")
# A generative model's predictions: one generated string per instance in this output, scored
# against the dataset's ``references``; correctness is the exact-match output (1.0 or 0.0).
TEXT_OUTPUT = "text"
EXACT_MATCH_OUTPUT = "exact_match"


class InspectorError(RuntimeError):
    """A plug-in failure, reported as one line naming the model or the inspector."""


@dataclass(frozen=True)
class EvalDataset:
    """The evaluation set: stable instance ids in a fixed order, labels and class names.

    ``classes`` is for datasets whose instances belong to several classes (CelebA attributes):
    per instance, the indices into ``class_names`` of every class it belongs to (any iterable
    of integers; stored sorted, without repeats, as a tuple of tuples). The Behaviors page's
    class rows then count an instance once in each of its classes. None (the default): each
    instance belongs to the class of its label only.

    ``references`` makes the dataset generative (text answers instead of classes): per
    instance, one or several reference answers. Predictions are then the ``TEXT_OUTPUT``
    strings and correctness the ``EXACT_MATCH_OUTPUT`` scores; ``labels`` are then the index of
    each instance's group in ``class_names`` (e.g. the question type), which plays the role of
    the class rows on the Behaviors page.
    """

    ids: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    kind: Literal["image", "text"] = "image"
    content_digest: str = ""
    classes: tuple[tuple[int, ...], ...] | None = None
    references: tuple[tuple[str, ...], ...] | None = None

    def __post_init__(self) -> None:
        if self.references is not None:
            refs = tuple(tuple(str(a) for a in row) for row in self.references)
            if len(refs) != len(self.ids):
                raise InspectorError(f"dataset: references has {len(refs)} rows for "
                                     f"{len(self.ids)} instances")
            object.__setattr__(self, "references", refs)
        if self.classes is None:
            return
        classes = tuple(tuple(sorted({int(c) for c in row})) for row in self.classes)
        if len(classes) != len(self.ids):
            raise InspectorError(f"dataset: classes has {len(classes)} rows for {len(self.ids)} instances")
        for i, row in enumerate(classes):
            if row and (row[0] < 0 or row[-1] >= len(self.class_names)):
                bad = row[0] if row[0] < 0 else row[-1]
                raise InspectorError(f"dataset: instance {i} is in class {bad}, "
                                     f"but there are {len(self.class_names)} class names")
        object.__setattr__(self, "classes", classes)

    def __len__(self) -> int:
        return len(self.ids)

    def fingerprint(self) -> str:
        """Hash of ids, labels, class names, the inspector's content digest and, when given,
        the class membership (cache keys; a dataset without ``classes`` hashes as before)."""
        h = hashlib.sha256()
        _hash_text(h, np.asarray(self.ids))
        h.update(np.asarray(self.labels).tobytes())
        h.update("\x1f".join(self.class_names).encode())
        h.update(self.content_digest.encode())
        if self.classes is not None:
            h.update(b"\x1eclasses")
            h.update(np.array([len(row) for row in self.classes], dtype=np.int64).tobytes())
            h.update(np.array([c for row in self.classes for c in row], dtype=np.int64).tobytes())
        if self.references is not None:
            h.update(b"\x1ereferences")
            h.update("\x1e".join("\x1f".join(row) for row in self.references).encode())
        return h.hexdigest()

    @property
    def generative(self) -> bool:
        """Whether predictions are generated text scored against references (not classes)."""
        return self.references is not None


TEXT_BLOCK = 8192  # ids per block of text: a block stays in the CPU cache while it is hashed


def _hash_text(h: Any, values: np.ndarray) -> None:
    """``h.update(values.astype(str).tobytes())``, byte for byte: how the ids are fingerprinted.

    For integers the UCS-4 text is built in blocks with array arithmetic, one pass per digit,
    instead of one str() per element: 50,000 ids took 12 ms, now about 4 (mostly SHA-256), on
    every engine's first request, and existing cache keys stay valid.
    """
    if values.dtype.kind not in "iu" or values.size < TEXT_BLOCK:  # one block: numpy is as quick
        h.update(values.astype(str).tobytes())
        return
    width = np.empty(0, values.dtype).astype(str).dtype.itemsize // 4  # numpy's text width
    flat = values.reshape(-1)
    for start in range(0, flat.size, TEXT_BLOCK):
        h.update(_int_text(flat[start:start + TEXT_BLOCK], width))


def _int_text(flat: np.ndarray, width: int) -> np.ndarray:
    """``flat.astype(str)`` of integers as an (n * width) uint32 array of code points."""
    neg = flat < 0
    mag = flat.astype(np.uint64)
    if neg.any():
        mag = np.where(neg, ~mag + np.uint64(1), mag)  # |value|, int64's minimum included
    most = len(str(int(mag.max())))
    end = neg + np.ones(flat.size, np.int64)  # one past each value's last character
    for k in range(1, most):
        end += mag >= np.uint64(10**k)
    chars = np.zeros(flat.size * width, np.uint32)
    last = np.arange(flat.size, dtype=np.int64) * width + end - 1
    rest = mag
    for k in range(most):  # the k-th digit from the right of every value that has one
        has = slice(None) if k == 0 else np.flatnonzero(end - neg > k)
        chars[last[has] - k] = (rest[has] % np.uint64(10)).astype(np.uint32) + ord("0")
        rest = rest // np.uint64(10)
    chars[np.flatnonzero(neg) * width] = ord("-")
    return chars


@dataclass(frozen=True)
class ComparisonSpec:
    """A prediction comparison offered on the Behaviors page (spec §2.4)."""

    name: str
    kind: str
    output: str
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in COMPARISON_KINDS:
            raise InspectorError(f"comparison '{self.name}': unknown kind '{self.kind}' "
                                 f"(one of {', '.join(COMPARISON_KINDS)})")


@dataclass(frozen=True)
class RenderedInstance:
    """One instance as the browser shows it: PNG bytes or text."""

    mime: Literal["image/png", "text/plain"]
    data: bytes | str


class Inspector(ABC):
    """Loads models and computes their outputs; subclass it and name it in the config.

    ``version`` is part of every cache key: bump it when the inspector's outputs change.

    ``dataset``, ``comparisons`` and ``render_instance`` also run in the web process: keep them
    free of torch computation (plain numpy). Background jobs are forked from that process, and a
    fork after a multi-threaded torch (OpenMP) operation deadlocks the child's first parallel op.
    """

    version: str = "1"
    # Set by the app after construction: the config's folder and the cache directory, so an
    # option naming a file (``data: qa.jsonl``, ``"{cache_dir}/demo/qa.jsonl"``) resolves
    # the way the config's own paths do (``resolve_path``).
    config_dir: Path = Path(".")
    cache_dir: Path = Path(".cache")

    def __init__(self, options: dict[str, Any] | None = None, device: str = "auto",
                 batch_size: int = 256) -> None:
        self.options = dict(options or {})
        self.device_preference = device
        self.batch_size = batch_size

    @classmethod
    def missing_requirement(cls) -> str | None:
        """One line naming what must be installed for this inspector to run, or None.

        Checked when the config is loaded (and by ``--check``), so a missing optional extra is
        reported at start-up rather than in the first background job."""
        return None

    def resolve_path(self, text: str | Path) -> Path:
        """A path from the options: '{cache_dir}' expanded, relative to the config's folder."""
        expanded = str(text).replace("{cache_dir}", str(self.cache_dir))
        path = Path(expanded).expanduser()
        return path if path.is_absolute() else self.config_dir / path

    def identity(self) -> str:
        """Class path and version, for cache keys."""
        cls = type(self)
        return f"{cls.__module__}.{cls.__qualname__}:{self.version}"

    @abstractmethod
    def dataset(self) -> EvalDataset:
        """The evaluation dataset, identical on every call (instance order matters)."""

    @abstractmethod
    def load_model(self, model: Model) -> Any:
        """A ready-to-run model object for one model of the forest."""

    @abstractmethod
    def predict(self, loaded: Any, indices: np.ndarray) -> dict[str, np.ndarray]:
        """Named per-instance outputs (first axis = instance) for dataset rows ``indices``."""

    @abstractmethod
    def render_instance(self, index: int) -> RenderedInstance:
        """One dataset row as an image or text, for the rows the browser shows."""

    def comparisons(self) -> list[ComparisonSpec]:
        """Comparisons offered by default: probability shifts of the predicted class and KL."""
        return [ComparisonSpec("Probability of base prediction", "difference_argmax", "probs"),
                ComparisonSpec("KL divergence", "kl_divergence", "probs"),
                ComparisonSpec("Probabilities (MSE)", "mse", "probs")]

    def parameters(self, loaded: Any) -> Iterator[tuple[str, np.ndarray]]:
        """(dotted name, float array) per parameter tensor, one at a time."""
        return iter(())

    def quantized_modules(self, loaded: Any) -> dict[str, str]:
        """Module name -> how it is stored ("int8 (per-tensor, scale 0.003)"), for the Layers
        page's int8 badges; ``TorchInspector`` finds torch's quantized modules itself."""
        return {}

    def activation_modules(self, loaded: Any) -> list[str]:
        """Dotted names of the modules whose outputs the Layers page may compare."""
        return []

    def activations(self, loaded: Any, modules: list[str],
                    indices: np.ndarray) -> dict[str, np.ndarray]:
        """Outputs of ``modules`` on dataset rows ``indices`` (first axis = instance)."""
        raise InspectorError(f"{self.identity()} does not provide activations")
