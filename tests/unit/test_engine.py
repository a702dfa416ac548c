"""The lazy engine over a real (tiny) torch inspector: computed once, keyed, safe to load."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from backend.experiment.schema import InspectorSpec
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.inference.protocol import InspectorError
from backend.infra.cache import ResultCache
from tests.support import tiny


@pytest.fixture
def forest(tmp_path: Path):
    return tiny.tiny_forest(tmp_path)


def _engine(forest, tmp_path: Path, cls: str = "TinyInspector") -> Engine:
    inspector = make_inspector(InspectorSpec(module="tests.support.tiny", **{"class": cls},
                                             batch_size=32, device="cpu"))
    return Engine(forest, inspector, ResultCache(tmp_path / "cache"), activation_sample=10)


def test_predictions_match_plain_torch_and_are_computed_once(forest, tmp_path: Path):
    eng = _engine(forest, tmp_path)
    tiny.CALLS["load"] = 0
    first = eng.predictions("child")
    module = torch.nn.Linear(tiny.FEATURES, tiny.CLASSES)
    module.load_state_dict(torch.load(forest["child"].checkpoint, weights_only=True))
    with torch.no_grad():
        expected = module(tiny.inputs_tensor()).numpy()
    assert np.allclose(first["logits"], expected, atol=1e-6)
    assert np.allclose(first["probs"].sum(1), 1.0, atol=1e-6)
    assert eng.is_cached("predictions", "child") and not eng.is_cached("predictions", "other")
    again = _engine(forest, tmp_path).predictions("child")  # a restarted app, same cache dir
    assert tiny.CALLS["load"] == 1 and np.array_equal(again["logits"], first["logits"])


def test_changed_checkpoint_is_recomputed(forest, tmp_path: Path):
    eng = _engine(forest, tmp_path)
    before = np.array(eng.predictions("child")["logits"])
    time.sleep(0.01)
    tiny.save_linear(forest["child"].checkpoint, seed=42)
    after = _engine(forest, tmp_path).predictions("child")["logits"]
    assert not np.allclose(before, after)


def test_progress_reports_batches(forest, tmp_path: Path):
    seen = []
    _engine(forest, tmp_path).predictions("base", lambda d, t, m: seen.append((d, t)))
    assert seen == [(32, 100), (64, 100), (96, 100), (100, 100)]


def test_parameters_and_activations_cached(forest, tmp_path: Path):
    eng = _engine(forest, tmp_path)
    params = eng.parameters("base")
    assert set(params) == {"0.weight", "0.bias"} and params["0.weight"].shape == (3, 6)
    acts = eng.activations("base")
    idx = eng.activation_indices()
    assert idx.tolist() == sorted(set(idx.tolist())) and len(idx) == 10
    assert set(acts) == {"0"} and acts["0"].shape == (10, 3) and eng.is_cached("activations", "base")
    assert np.allclose(acts["0"], eng.predictions("base")["logits"][idx], atol=1e-6)


def test_missing_checkpoint_names_model(forest, tmp_path: Path):
    with pytest.raises(InspectorError) as info:
        _engine(forest, tmp_path).predictions("nockpt")
    assert "\n" not in str(info.value)
    assert str(info.value) == f"model 'nockpt': checkpoint not found: {forest['nockpt'].checkpoint}"


def test_unknown_model(forest, tmp_path: Path):
    with pytest.raises(InspectorError, match="unknown model 'ghost'"):
        _engine(forest, tmp_path).predictions("ghost")


def test_wrong_shape_names_model(forest, tmp_path: Path):
    with pytest.raises(InspectorError) as info:
        _engine(forest, tmp_path, "WrongShapeInspector").predictions("child")
    assert str(info.value) == "model 'child': output 'logits' has shape (31, 3), expected 32 rows (one per instance)"


def test_wrong_class_count_names_model(forest, tmp_path: Path):
    with pytest.raises(InspectorError) as info:
        _engine(forest, tmp_path, "WrongClassesInspector").predictions("child")
    assert str(info.value) == "model 'child': output 'probs' has shape (100, 3), expected (100, 4) for 4 classes"


class _Exploit:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_checkpoint_is_refused_and_never_runs(forest, tmp_path: Path):
    marker = tmp_path / "pwned"
    ckpt = forest["other"].checkpoint
    with open(ckpt, "wb") as fh:
        pickle.dump({"weight": _Exploit(str(marker))}, fh)
    torch_zip = tmp_path / "zip.pt"
    torch.save({"weight": _Exploit(str(marker))}, torch_zip)  # the torch zip format too
    for path in (ckpt, torch_zip):
        ckpt.write_bytes(path.read_bytes())
        with pytest.raises(InspectorError) as info:
            _engine(forest, tmp_path).predictions("other")
        assert str(info.value).startswith(f"model 'other': checkpoint {ckpt} was refused by the weights-only loader")
        assert "\n" not in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize(("module", "cls", "message"), [
    ("tests.support.nope", "X", "inspector.module: cannot import 'tests.support.nope' (No module named 'tests.support.nope')"),
    ("tests.support.tiny", "TinyInspectr", "inspector.class: module 'tests.support.tiny' has no class 'TinyInspectr' (did you mean 'TinyInspector'?)"),
    ("tests.support.tiny", "NotAnInspector", "inspector.class: 'tests.support.tiny.NotAnInspector' is not a subclass of backend.inference.Inspector"),
    ("tests.support.tiny", "TorchInspector", "inspector.class: 'TorchInspector' does not implement build_module, dataset, inputs, render_instance"),
])
def test_inspector_typos_are_one_line(module: str, cls: str, message: str):
    with pytest.raises(InspectorError) as info:
        make_inspector(InspectorSpec(module=module, **{"class": cls}))
    assert str(info.value) == message


def test_web_process_never_initialises_cuda(forest, tmp_path: Path):
    _engine(forest, tmp_path).predictions("base")
    assert not torch.cuda.is_initialized()


def test_fresh_predictions_are_read_only_and_large_ones_memory_mapped(forest, tmp_path: Path, monkeypatch):
    """A cold result looks like a cache hit: read-only; above the limit, the cache's own maps."""
    import backend.inference.engine as engine_module

    fresh = _engine(forest, tmp_path).predictions("child")
    assert not isinstance(fresh["probs"], np.memmap) and not fresh["probs"].flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        fresh["probs"][0, 0] = 2.0
    monkeypatch.setattr(engine_module, "IN_MEMORY_RESULT_BYTES", 0)
    mapped = _engine(forest, tmp_path / "big").predictions("child")
    assert isinstance(mapped["probs"], np.memmap) and np.array_equal(mapped["probs"], fresh["probs"])


@pytest.mark.parametrize("ids", [
    np.arange(20_000), np.array([0]), np.array([5, -5, 10, -10, 99, -100, 1000]),
    np.array([np.iinfo(np.int64).min, -1, 0, np.iinfo(np.int64).max]),
    np.array([0, np.iinfo(np.uint64).max, 10**19, 10**19 - 1], dtype=np.uint64),
    np.array([-128, 127, 0], dtype=np.int8), np.array([255, 0, 9], dtype=np.uint8),
    np.array([np.iinfo(np.int32).min, np.iinfo(np.int32).max], dtype=np.int32),
    np.random.default_rng(0).integers(-10**18, 10**18, 9000), np.arange(12).reshape(3, 4).T,
    np.array([], dtype=np.int64), np.array([1.5, -2.0]), np.array(["img_1", "img_22"]),
], ids=lambda a: f"{a.dtype}-{a.size}")
def test_fingerprint_hashes_ids_as_numpy_text(ids: np.ndarray):
    """The integer fast path hashes exactly ``ids.astype(str)``: existing cache keys stay valid."""
    import hashlib

    from backend.inference.protocol import TEXT_BLOCK, EvalDataset

    long = np.resize(ids, 2 * TEXT_BLOCK + 5) if ids.size else ids  # through the block path too
    for values in (ids, long):
        labels = np.zeros(values.size, dtype=np.int64)
        h = hashlib.sha256()
        h.update(values.astype(str).tobytes())
        h.update(labels.tobytes())
        h.update("\x1f".join(["a", "b"]).encode())
        assert EvalDataset(values, labels, ["a", "b"]).fingerprint() == h.hexdigest()
