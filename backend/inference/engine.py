"""Cached, lazy computations over an inspector: predictions, parameters, activations.

Each result is computed at most once per (model checkpoint, dataset, inspector version,
arguments) and read back from ``backend.infra.cache`` afterwards, in any worker, after restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import numpy as np

from backend.experiment.forest import ExperimentForest, Model
from backend.inference.protocol import EvalDataset, Inspector, InspectorError, RenderedInstance
from backend.infra.cache import CacheError, ResultCache, result_key

Progress = Callable[[int, int, str], None]
IN_MEMORY_RESULT_BYTES = 16 << 20  # larger fresh results are returned memory-mapped


def _quiet(_done: int, _total: int, _message: str) -> None:
    return None


@contextmanager
def plugin_call(what: str) -> Iterator[None]:
    """Run inspector code; any exception it raises becomes one InspectorError line naming ``what``.

    A plug-in bug (a shape mismatch in forward, a missing data file) must reach the page as one
    line, not as a traceback in a background job.
    """
    try:
        yield
    except (InspectorError, CacheError):
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        raise InspectorError(f"{what} failed ({type(exc).__name__}{': ' + first if first else ''})") from None


class Engine:
    """One experiment's computations; cheap to build, nothing runs until asked."""

    def __init__(self, forest: ExperimentForest, inspector: Inspector, cache: ResultCache,
                 activation_sample: int = 64, activation_seed: int = 0) -> None:
        self.forest = forest
        self.inspector = inspector
        self.cache = cache
        self.activation_sample = activation_sample
        self.activation_seed = activation_seed

    @cached_property
    def dataset(self) -> EvalDataset:
        """The evaluation dataset (asked of the inspector once per engine)."""
        with plugin_call("inspector: dataset()"):
            dataset = self.inspector.dataset()
        if not isinstance(dataset, EvalDataset):
            raise InspectorError(f"inspector: dataset() must return an EvalDataset, got "
                                 f"{type(dataset).__name__}")
        return dataset

    @cached_property
    def dataset_fingerprint(self) -> str:
        """Part of every key: a changed dataset never serves stale results."""
        return self.dataset.fingerprint()

    def model(self, model_id: str) -> Model:
        """The forest's model, or a one-line error naming the unknown id."""
        if model_id not in self.forest:
            raise InspectorError(f"unknown model '{model_id}'")
        return self.forest[model_id]

    def key(self, kind: str, model_id: str, **args: object) -> str:
        """Cache key of one result: kind, model, checkpoint digest, dataset, inspector, args."""
        model = self.model(model_id)
        try:
            digest = self.cache.file_digest(model.checkpoint) if model.checkpoint else None
        except FileNotFoundError:
            raise InspectorError(f"model '{model_id}': checkpoint not found: {model.checkpoint}") from None
        return result_key(kind=kind, model=model_id, checkpoint=digest, dataset=self.dataset_fingerprint,
                          inspector=self.inspector.identity(), args=args)

    def is_cached(self, kind: str, model_id: str) -> bool:
        """Whether ``kind`` ('predictions', 'parameters', 'activations') is already on disk."""
        return self.cache.has(self.key(kind, model_id, **self._args(kind)))

    def _args(self, kind: str) -> dict:
        if kind == "activations":
            return {"indices": self.activation_indices().tolist()}
        return {}

    # --- predictions -----------------------------------------------------------------------
    def predictions(self, model_id: str, progress: Progress = _quiet) -> dict[str, np.ndarray]:
        """Named per-instance outputs of a model on the whole evaluation set (cached)."""
        key = self.key("predictions", model_id)
        hit = self.cache.get_arrays(key)
        if hit is not None:
            return hit
        n = len(self.dataset)
        loaded = self._load(model_id)
        step = self.inspector.batch_size
        parts: dict[str, list[np.ndarray]] = {}
        for start in range(0, n, step):
            stop = min(n, start + step)
            with plugin_call(f"model '{model_id}': predict on rows {start}-{stop - 1}"):
                batch = self.inspector.predict(loaded, np.arange(start, stop))
            for name, value in self._named_arrays(model_id, "predict", batch).items():
                parts.setdefault(name, []).append(value)
            progress(stop, n, f"predicting with {model_id}")
        with plugin_call(f"model '{model_id}': joining the batches"):
            arrays = {name: np.concatenate(chunks) for name, chunks in parts.items()}
        self._check_rows(model_id, arrays, n)
        self.cache.put_arrays(key, arrays, {"model": model_id, "kind": "predictions"})
        return self._as_stored(key, arrays)

    def _as_stored(self, key: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """What a cache hit would return: read-only arrays; large ones memory-mapped.

        Handing back the maps of a large result lets its in-memory copy go (16 models × 50,000
        rows × 1,000 classes would otherwise stay resident); reading a small one back from the
        files just written would cost more than the copy it frees.
        """
        if sum(a.nbytes for a in arrays.values()) > IN_MEMORY_RESULT_BYTES:
            return self.cache.get_arrays(key) or arrays
        for value in arrays.values():
            value.flags.writeable = False
        return arrays

    def _load(self, model_id: str):
        with plugin_call(f"model '{model_id}': load_model"):
            return self.inspector.load_model(self.model(model_id))

    @staticmethod
    def _named_arrays(model_id: str, method: str, value: object) -> dict[str, np.ndarray]:
        """A plug-in's named outputs as arrays, or a one-line error saying what came back."""
        if not isinstance(value, dict):
            raise InspectorError(f"model '{model_id}': {method} must return a dict of arrays, got "
                                 f"{type(value).__name__}")
        out = {}
        for name, array in value.items():
            array = np.asarray(array) if not isinstance(array, np.ndarray) else array
            if array.ndim == 0 or array.dtype == object:
                raise InspectorError(f"model '{model_id}': {method} output '{name}' must be an array "
                                     f"with one row per instance, got {type(value[name]).__name__}")
            out[str(name)] = array
        return out

    def _check_rows(self, model_id: str, arrays: dict[str, np.ndarray], n: int) -> None:
        for name, value in arrays.items():
            if value.shape[0] != n:
                raise InspectorError(f"model '{model_id}': output '{name}' has {value.shape[0]} rows "
                                     f"for {n} instances")
        classes = len(self.dataset.class_names)
        probs = arrays.get("probs")
        if probs is not None and classes and (probs.ndim != 2 or probs.shape[1] != classes):
            raise InspectorError(f"model '{model_id}': output 'probs' has shape {probs.shape}, "
                                 f"expected ({n}, {classes}) for {classes} classes")

    def render_instance(self, index: int) -> RenderedInstance:
        """One dataset row as the browser shows it; a plug-in failure is one line naming the row."""
        with plugin_call(f"inspector: render_instance({index})"):
            rendered = self.inspector.render_instance(index)
        if not isinstance(rendered, RenderedInstance):
            raise InspectorError(f"inspector: render_instance({index}) must return a RenderedInstance, "
                                 f"got {type(rendered).__name__}")
        return rendered

    # --- parameters ------------------------------------------------------------------------
    def parameters(self, model_id: str, progress: Progress = _quiet) -> dict[str, np.ndarray]:
        """Every parameter tensor of a model (cached as memory-mapped arrays, read lazily)."""
        def compute(loaded: Any) -> dict[str, np.ndarray]:
            return {str(name): np.asarray(value) for name, value in self.inspector.parameters(loaded)}

        return self._cached_arrays(self.key("parameters", model_id), model_id, "parameters", compute,
                                   progress, (f"loading {model_id}", f"loaded {model_id}"))

    def _cached_arrays(self, key: str, model_id: str, kind: str,
                       compute: Callable[[Any], dict[str, np.ndarray]], progress: Progress,
                       messages: tuple[str, str]) -> dict[str, np.ndarray]:
        """Arrays from the cache, or computed by the plug-in on the loaded model and stored.

        Returns the cache's memory-mapped copy when it could be written, so both paths hand the
        caller the same kind of arrays; a plug-in failure is one line naming the model.
        """
        hit = self.cache.get_arrays(key)
        if hit is not None:
            return hit
        progress(0, 1, messages[0])
        loaded = self._load(model_id)
        with plugin_call(f"model '{model_id}': {kind}"):
            arrays = compute(loaded)
            meta = self._quantized_meta(loaded)
        self.cache.put_arrays(key, arrays, {"model": model_id, "kind": kind, **meta})
        progress(1, 1, messages[1])
        return self.cache.get_arrays(key) or arrays

    def _quantized_meta(self, loaded: Any) -> dict:
        """``{"quantized": {module: description}}`` when the inspector names quantized modules
        (``TorchInspector.quantized_modules``): kept in the entry's metadata, so the Layers page
        marks int8 layers from the cache alone, without extra arrays that would become rows."""
        quantized = self.inspector.quantized_modules(loaded)
        return {"quantized": {str(k): str(v) for k, v in quantized.items()}} if quantized else {}

    # --- activations -----------------------------------------------------------------------
    def activation_indices(self) -> np.ndarray:
        """A seeded random sample of dataset rows (sorted), the same for every model."""
        n = len(self.dataset)
        size = min(n, self.activation_sample)
        rng = np.random.default_rng(self.activation_seed)
        return np.sort(rng.choice(n, size=size, replace=False))

    def activations(self, model_id: str, progress: Progress = _quiet) -> dict[str, np.ndarray]:
        """Outputs of the inspector's activation modules on the sample (cached)."""
        return self.activations_at(model_id, self.activation_indices(), progress)

    def activations_at(self, model_id: str, indices: np.ndarray,
                       progress: Progress = _quiet) -> dict[str, np.ndarray]:
        """Outputs of the activation modules on dataset rows ``indices`` (cached per row list).

        The Layers page's per-instance drill-down asks for one row; the sample above is the
        same call with the seeded rows, so both share one cache layout.
        """
        indices = np.asarray(indices, dtype=np.int64)
        n = len(self.dataset)
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            raise InspectorError(f"instance rows must be in 0..{n - 1}")
        def compute(loaded: Any) -> dict[str, np.ndarray]:
            raw = self.inspector.activations(loaded, self.inspector.activation_modules(loaded), indices)
            return self._named_arrays(model_id, "activations", raw)

        message = f"activations of {model_id}"
        return self._cached_arrays(self.key("activations", model_id, indices=indices.tolist()), model_id,
                                   "activations", compute, progress, (message, message))
