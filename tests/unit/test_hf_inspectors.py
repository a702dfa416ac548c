"""The Hugging Face inspectors on tiny models saved in the test: generation through the engine
equals a plain ``generate`` loop, scores and generative comparisons equal a float64 computation,
layers and activations of the T5 module tree, and one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("transformers", reason="the [hf] extra (transformers) is not installed")

import torch  # noqa: E402

from backend.behaviors import CORRECTNESS, BehaviorQuery, query  # noqa: E402
from backend.behaviors import store as behavior_store  # noqa: E402
from backend.behaviors.store import behavior_data  # noqa: E402
from backend.experiment.loader import load_experiment  # noqa: E402
from backend.inference import InspectorError  # noqa: E402
from backend.inference.engine import Engine  # noqa: E402
from backend.inference.hf import CausalLMInspector, Seq2SeqInspector, quantization_flag, read_qa  # noqa: E402
from backend.inference.loading import make_inspector  # noqa: E402
from backend.inference.text_scores import score_answers  # noqa: E402
from backend.infra.cache import ResultCache  # noqa: E402
from tests.support import tiny_hf  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
OPTIONS = {"data": "qa.jsonl", "max_new_tokens": 4}


def _prune(folder: Path, out: Path, amount: float) -> Path:
    """Global magnitude pruning of every Linear weight of a saved T5 (a real compression)."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    model = AutoModelForSeq2SeqLM.from_pretrained(folder)
    weights = [m.weight for m in model.modules() if isinstance(m, torch.nn.Linear)]
    threshold = torch.quantile(torch.cat([w.detach().abs().flatten() for w in weights]), amount)
    with torch.no_grad():
        for w in weights:
            w.mul_((w.abs() > threshold).float())
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(folder).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """A seq2seq experiment: a trained tiny T5, two pruned children and an int8 child."""
    folder = tmp_path_factory.mktemp("hf")
    tiny_hf.write_qa(folder / "qa.jsonl")
    base = tiny_hf.train_t5(folder / "ckpt" / "t5", steps=120)
    _prune(base, folder / "ckpt" / "t5-p50", 0.5)
    _prune(base, folder / "ckpt" / "t5-p95", 0.95)
    int8 = _prune(base, folder / "ckpt" / "t5-int8", 0.0)
    quantization_flag(int8)
    (folder / "exp.yaml").write_text(
        "name: tiny t5\nmodels:\n"
        "  - {id: t5, checkpoint: ckpt/t5}\n"
        "  - {id: t5-p50, base: t5, checkpoint: ckpt/t5-p50}\n"
        "  - {id: t5-p95, base: t5, checkpoint: ckpt/t5-p95}\n"
        "  - {id: t5-int8, base: t5, checkpoint: ckpt/t5-int8}\n"
        "inspector:\n  module: backend.inference.hf\n  class: Seq2SeqInspector\n  device: cpu\n"
        "  batch_size: 5\n  activation_sample: 6\n"
        f"  options: {json.dumps(OPTIONS)}\n")
    return folder


@pytest.fixture
def engine(experiment, tmp_path):
    behavior_store.clear_memory()
    exp = load_experiment(experiment / "exp.yaml")
    inspector = make_inspector(exp.inspector, exp.config_path.parent, tmp_path)
    return Engine(exp.forest, inspector, ResultCache(tmp_path / "results"), activation_sample=6)


def test_dataset_groups_references_and_relative_data_path(engine):
    ds = engine.dataset
    assert ds.kind == "text" and ds.generative
    assert ds.class_names == ["job", "where"]
    assert ds.references[1] == ("cook", "a cook") and ds.labels[:2].tolist() == [1, 0]
    assert engine.render_instance(0).data == "where does ann live ?\n\nann lives in paris and works as a baker ."


def test_engine_generation_equals_a_plain_generate_loop(engine, experiment):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    out = engine.predictions("t5-p50")
    tok = AutoTokenizer.from_pretrained(experiment / "ckpt" / "t5-p50")
    model = AutoModelForSeq2SeqLM.from_pretrained(experiment / "ckpt" / "t5-p50").eval()
    items = read_qa(experiment / "qa.jsonl")
    plain = []
    for start in range(0, len(items), 5):
        batch = items[start:start + 5]
        enc = tok([f"question: {i.question} context: {i.context}" for i in batch], return_tensors="pt",
                  padding=True)
        with torch.inference_mode():
            ids = model.generate(**enc, max_new_tokens=4, do_sample=False)
        plain += [t.strip() for t in tok.batch_decode(ids, skip_special_tokens=True)]
    assert out["text"].tolist() == plain
    scores = score_answers(plain, [i.answers for i in items])
    np.testing.assert_array_equal(out["f1"], scores["f1"])
    np.testing.assert_array_equal(out["exact_match"], scores["exact_match"])
    assert engine.predictions("t5-p50")["text"].tolist() == plain  # read back from the cache


def test_the_trained_base_answers_and_heavy_pruning_breaks_it(engine):
    base = engine.predictions("t5")
    broken = engine.predictions("t5-p95")
    assert base["exact_match"].mean() >= 0.75, base["text"]
    assert broken["exact_match"].mean() < base["exact_match"].mean(), broken["text"]


def test_generative_comparisons_against_float64(engine):
    models = ["t5", "t5-p50", "t5-p95", "t5-int8"]
    data = behavior_data(engine, models)
    outs = [engine.predictions(m) for m in models]
    em = np.stack([o["exact_match"] for o in outs]).astype(np.float64)
    f1 = np.stack([o["f1"] for o in outs]).astype(np.float64)
    assert data.generative
    np.testing.assert_array_equal(data.correct(), em >= 0.5)
    np.testing.assert_array_equal(data.comparisons[CORRECTNESS].value, em)
    np.testing.assert_array_equal(data.comparisons[CORRECTNESS].difference, em - em[0])
    np.testing.assert_allclose(data.comparisons["F1"].difference, f1 - f1[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(data.comparisons["F1"].value, f1, rtol=0, atol=1e-12)
    for j, o in enumerate(outs):  # each prediction code reads back as that model's answer
        names = [data.prediction_name(int(c)) for c in data.predicted[j]]
        assert [n if n != "∅ (empty answer)" else "" for n in names] == o["text"].tolist()
    behavior_store.clear_memory()  # read back from the disk cache: the same answers and exactness
    again = behavior_data(engine, list(reversed(models)))
    assert again.answers == data.answers
    np.testing.assert_array_equal(again.correct(), (em >= 0.5)[::-1])


def test_text_rows_show_answers_references_and_top_changes(engine):
    models = ["t5", "t5-p95"]
    data = behavior_data(engine, models)
    q = BehaviorQuery(comparison="F1", mode="relative", level="instance", sort=("t5-p95", "desc"))
    result = query(data, q)
    first = result.rows[0]
    assert first["label_name"] in ("paris", "rome", "oslo", "lima", "cook | a cook", "nurse | a nurse",
                                   "pilot | a pilot", "baker | a baker")
    texts = engine.predictions("t5-p95")["text"]
    assert first["cells"]["t5-p95"]["pred_name"] in {*texts.tolist(), "∅ (empty answer)"}
    # sorted by the size of the F1 change: the first rows are the broken answers
    changes = [abs(r["cells"]["t5-p95"]["difference"]) for r in result.rows]
    assert changes == sorted(changes, reverse=True) and changes[0] > 0
    top = result.summary["t5-p95"]["top"]
    assert top and all(t["base"] != t["model"] for t in top)


def test_layers_parameters_and_activations_of_the_t5_tree(engine):
    params = engine.parameters("t5-p50")
    assert "encoder.block.0.layer.0.SelfAttention.q.weight" in params
    zeros = np.mean([float((np.asarray(v) == 0).mean()) for k, v in params.items() if k.endswith("q.weight")])
    assert zeros > 0.2
    acts = engine.activations("t5")
    assert acts["encoder.block.0.layer.0.SelfAttention.q"].shape[0] == 6
    assert acts["lm_head"].shape[0] == 6 and "shared" not in acts


def test_int8_folder_is_quantized_on_load(engine):
    loaded = engine.inspector.load_model(engine.model("t5-int8"))
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    assert any(isinstance(m, DynamicLinear) for m in loaded.modules())
    assert not any(type(m) is torch.nn.Linear for m in loaded.modules())
    assert engine.predictions("t5-int8")["text"].shape == (12,)


@pytest.fixture(scope="module")
def causal(tmp_path_factory):
    folder = tmp_path_factory.mktemp("causal")
    tiny_hf.write_qa(folder / "qa.jsonl")
    tiny_hf.save_gpt2(folder / "base", seed=0)
    tiny_hf.save_gpt2(folder / "other", seed=1)
    return folder


def test_causal_lm_nll_token_kl_and_agreement_against_float64(causal, tmp_path):
    from backend.experiment.forest import Model
    from backend.inference.protocol import ComparisonSpec

    inspector = CausalLMInspector(options={"data": "qa.jsonl", "max_new_tokens": 3}, device="cpu", batch_size=4)
    inspector.config_dir = causal
    outs = []
    for name in ("base", "other"):
        loaded = inspector.load_model(Model(name, None, None, None, {}, causal / name))
        parts = [inspector.predict(loaded, np.arange(s, min(12, s + 4))) for s in range(0, 12, 4)]
        outs.append({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
    b, m = outs
    assert b["token_probs"].shape[:2] == (12, 3) and b["top_token"].shape == (12, 3)
    assert np.all(b["nll"] > 0)
    np.testing.assert_allclose(b["token_probs"][b["top_token"] >= 0].sum(axis=-1), 1.0, atol=1e-5)
    data = behavior_data_from(inspector, outs)
    specs = {s.name: s for s in inspector.comparisons()}
    kl = data.comparisons[next(n for n, s in specs.items() if s.kind == "kl_divergence")].difference[1]
    pb, pm = b["token_probs"].astype(np.float64), m["token_probs"].astype(np.float64)
    expected = np.maximum((pb * np.log2((pb + 1e-6) / (pm + 1e-6))).sum(axis=(1, 2)), 0)
    np.testing.assert_allclose(kl, expected, rtol=1e-9, atol=1e-12)
    agree = data.comparisons["Top-token agreement with base"].difference
    valid = b["top_token"] >= 0
    expected_agree = ((m["top_token"] == b["top_token"]) & valid).sum(1) / valid.sum(1)
    np.testing.assert_allclose(agree[1], expected_agree)
    np.testing.assert_allclose(agree[0], 1.0)
    nll = data.comparisons["NLL of the reference answer (per token)"]
    np.testing.assert_allclose(nll.difference[1], m["nll"] - b["nll"], atol=1e-12)
    assert isinstance(specs["F1"], ComparisonSpec)


def behavior_data_from(inspector, outs):
    from backend.behaviors import build_behavior_data

    ds = inspector.dataset()
    return build_behavior_data(["base", "other"], dict(zip(["base", "other"], outs, strict=True)), ds.labels,
                               ds.class_names, ds.ids, inspector.comparisons(), references=ds.references)


def test_without_transformers_one_line_names_the_extra(monkeypatch, experiment):
    from backend.experiment.forest import Model

    monkeypatch.setitem(sys.modules, "transformers", None)
    inspector = Seq2SeqInspector(options=OPTIONS, device="cpu")
    inspector.config_dir = experiment
    with pytest.raises(InspectorError, match=r"\[hf\]") as info:
        inspector.load_model(Model("t5", None, None, None, {}, experiment / "ckpt" / "t5"))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("line, message", [
    ('{"id": 1, "question": "q", "context": "c"}', "'answers' must be a non-empty list of strings"),
    ("not json", "not JSON"),
    ('{"id": 1, "question": 3, "context": "c", "answers": ["a"]}', "'question' must be a string"),
])
def test_bad_data_lines_are_one_line_naming_file_and_line(tmp_path, line, message):
    path = tmp_path / "qa.jsonl"
    path.write_text('{"id": 0, "question": "q", "context": "c", "answers": ["a"]}\n' + line + "\n")
    with pytest.raises(InspectorError) as info:
        read_qa(path)
    assert f"{path}:2" in str(info.value) and message in str(info.value) and "\n" not in str(info.value)


def test_bad_options_are_one_line(experiment):
    inspector = Seq2SeqInspector(options={"data": "qa.jsonl", "prompt": "{question} {answer}"})
    inspector.config_dir = experiment
    with pytest.raises(InspectorError, match="inspector.options.prompt"):
        _ = inspector.prompt
    with pytest.raises(InspectorError, match="inspector.options.data: cannot read"):
        missing = Seq2SeqInspector(options={"data": "nope.jsonl"})
        missing.config_dir = experiment
        missing.dataset()
    with pytest.raises(InspectorError, match="max_new_tokens: must be a positive integer"):
        _ = Seq2SeqInspector(options={"max_new_tokens": 0}).max_new_tokens


def test_missing_extra_is_reported_when_the_config_loads(monkeypatch):
    from backend.experiment.schema import InspectorSpec
    from backend.inference.loading import inspector_class

    monkeypatch.setitem(sys.modules, "transformers", None)
    spec = InspectorSpec(module="backend.inference.hf", **{"class": "CausalLMInspector"})
    with pytest.raises(InspectorError) as info:
        inspector_class(spec)
    assert "[hf]" in str(info.value) and "CausalLMInspector" in str(info.value)
