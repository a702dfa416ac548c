"""The text demo's parts, fast: generated questions, the word-level tokenizer, the compression
operations on a tiny T5, and the config agreeing with what the build measures with."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

pytest.importorskip("transformers")

from backend.demo.text import compress as C  # noqa: E402
from backend.demo.text.data import (  # noqa: E402
    GROUPS,
    evaluation_set,
    generate,
    training_set,
    vocabulary,
    write_jsonl,
)
from backend.demo.text.tokenizer import build_tokenizer  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _is_span(answer: str, context: str) -> bool:
    words, span = context.split(), answer.split()
    return any(words[i:i + len(span)] == span for i in range(len(words) - len(span) + 1))


# --- data -----------------------------------------------------------------------------------
def test_every_reference_is_a_span_of_its_context_and_the_first_is_one_word():
    for qa in generate(400, seed=3):
        assert qa.group in GROUPS
        assert len(qa.answers[0].split()) == 1
        assert all(_is_span(a, qa.context) for a in qa.answers), qa


def test_each_question_has_a_distractor_of_the_same_kind():
    """Two facts per context: the other town (or job) is there too, so copying any town fails."""
    for qa in generate(200, seed=4):
        facts = [f for f in qa.context.split(" . ") if f]
        assert len(facts) == 2
        assert sum(qa.answers[0] in f.split() for f in facts) == 1


def test_generation_is_deterministic_and_the_held_out_split_is_disjoint():
    assert generate(50, seed=7) == generate(50, seed=7)
    assert generate(50, seed=7) != generate(50, seed=8)
    train = training_set(2000)
    held_out = evaluation_set(train, n=300)
    assert not {(q.question, q.context) for q in train} & {(q.question, q.context) for q in held_out}
    assert len({q.id for q in held_out}) == 300
    assert {q.group for q in held_out} == set(GROUPS)


def test_the_data_file_is_read_by_the_hf_inspector(tmp_path):
    from backend.inference.hf import read_qa

    items = generate(20, seed=0)
    write_jsonl(items, tmp_path / "qa.jsonl")
    back = read_qa(tmp_path / "qa.jsonl")
    assert [(b.id, b.question, b.context, b.answers, b.group) for b in back] == \
        [(q.id, q.question, q.context, q.answers, q.group) for q in items]


# --- tokenizer ------------------------------------------------------------------------------
def test_tokenizer_round_trips_and_has_t5_specials(tmp_path):
    from transformers import AutoTokenizer

    tok = build_tokenizer(vocabulary())
    qa = generate(1, seed=0)[0]
    text = f"question: {qa.question} context: {qa.context}"
    ids = tok(text)["input_ids"]
    assert (tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2)
    assert ids[-1] == tok.eos_token_id and tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True) == text
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    assert again(text)["input_ids"] == ids
    assert again.decode(ids, skip_special_tokens=True) == text


# --- compression ----------------------------------------------------------------------------
@pytest.fixture()
def tiny_t5():
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    config = T5Config(vocab_size=40, d_model=16, d_kv=4, d_ff=32, num_layers=2, num_decoder_layers=1,
                      num_heads=2, dropout_rate=0.0, pad_token_id=0, eos_token_id=1,
                      decoder_start_token_id=0)
    model = T5ForConditionalGeneration(config).eval()
    with torch.no_grad():  # layer norms as training leaves them: near 1, not all exactly 1
        for name, p in model.named_parameters():
            if C.is_normalization(name):
                p.add_(0.1 * torch.randn_like(p))
    return model


def _zero_share(tensors) -> float:
    tensors = list(tensors)
    return sum(int((t == 0).sum()) for t in tensors) / sum(t.numel() for t in tensors)


def test_global_pruning_ranks_every_parameter_and_leaves_the_input_alone(tiny_t5):
    before = {n: p.detach().clone() for n, p in tiny_t5.named_parameters()}
    pruned = C.apply_masks(tiny_t5, C.global_magnitude_masks(tiny_t5, 0.5))
    assert _zero_share(pruned.parameters()) == pytest.approx(0.5, abs=0.01)
    assert all(torch.equal(p, before[n]) for n, p in tiny_t5.named_parameters())
    # layer-norm gains near 1 are among the largest values: not reached at 50 %
    assert C.zeroed_normalization(pruned)[0] == 0
    heavy = C.apply_masks(tiny_t5, C.global_magnitude_masks(tiny_t5, 0.995))
    assert C.zeroed_normalization(heavy)[0] > 0


def test_layerwise_and_part_pruning_touch_only_their_tensors(tiny_t5):
    layerwise = C.apply_masks(tiny_t5, C.layerwise_magnitude_masks(tiny_t5, 0.5))
    for name, p in layerwise.named_parameters():
        if C.is_weight_matrix(name, p):
            assert _zero_share([p]) == pytest.approx(0.5, abs=0.02), name
        else:
            assert torch.equal(p, dict(tiny_t5.named_parameters())[name]), name
    attention = C.apply_masks(tiny_t5, C.part_masks(tiny_t5, 0.9, "attention"))
    changed = {n for n, p in attention.named_parameters() if not torch.equal(p, dict(tiny_t5.named_parameters())[n])}
    assert changed and all(any(k in n for k in C.ATTENTION) for n in changed)
    assert not any("relative_attention_bias" in n for n in changed)


def test_restore_normalization_takes_the_gains_back(tiny_t5):
    pruned = C.apply_masks(tiny_t5, C.global_magnitude_masks(tiny_t5, 0.995))
    repaired = C.restore_normalization(pruned, tiny_t5)
    original = dict(tiny_t5.named_parameters())
    for name, p in repaired.named_parameters():
        expected = original[name] if C.is_normalization(name) else dict(pruned.named_parameters())[name]
        assert torch.equal(p, expected), name
    assert C.zeroed_normalization(repaired)[0] == 0


def test_retraining_keeps_pruned_weights_at_zero(tiny_t5):
    from backend.demo.text.train import Batches, fit

    pruned = C.apply_masks(tiny_t5, C.layerwise_magnitude_masks(tiny_t5, 0.7))
    zeros = {n: p == 0 for n, p in pruned.named_parameters()}
    gen = torch.Generator().manual_seed(0)
    data = Batches(torch.randint(3, 40, (64, 8), generator=gen), torch.ones(64, 8, dtype=torch.long),
                   torch.randint(3, 40, (64, 2), generator=gen))
    fit(pruned, data, steps=3, lr=1e-2, seed=0, masks=C.zero_masks(pruned))
    for name, p in pruned.named_parameters():
        assert bool((p[zeros[name]] == 0).all()), name


def test_locality_prior_starts_every_head_local():
    from backend.demo.text.train import LOCALITY_SLOPES, new_model

    model = new_model(len(vocabulary()), seed=0)
    attention = model.encoder.block[0].layer[0].SelfAttention
    distance = torch.arange(-40, 41)
    bucket = attention._relative_position_bucket(distance, bidirectional=True,
                                                 num_buckets=attention.relative_attention_num_buckets,
                                                 max_distance=attention.relative_attention_max_distance)
    table = attention.relative_attention_bias.weight.detach()
    near = distance.abs() <= 7  # one bucket per distance; farther buckets share the nearest's bias
    for head, slope in enumerate(LOCALITY_SLOPES):
        bias, linear = table[bucket, head], -slope * distance.abs().float()
        assert torch.equal(bias[near], linear[near])
        assert bool((bias >= linear).all())


# --- config ---------------------------------------------------------------------------------
def test_the_config_measures_what_the_build_measured():
    from backend.demo.text.build import EVAL_BATCH, inspector_options

    config = yaml.safe_load((REPO / "configs" / "demo-text.yaml").read_text())
    inspector = config["inspector"]
    assert config["builder"] == "backend.demo.text.build:build"
    assert (inspector["module"], inspector["class"], inspector["device"]) == \
        ("backend.inference.hf", "Seq2SeqInspector", "cpu")
    assert inspector["batch_size"] == EVAL_BATCH
    expected = inspector_options("{cache_dir}/demo-text-v1/qa.jsonl")
    assert inspector["options"] == expected
    assert Path(config["models"]).parent == Path(inspector["options"]["data"]).parent
