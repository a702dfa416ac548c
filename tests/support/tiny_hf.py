"""Tiny Hugging Face models saved in a test: a word-level tokenizer, a T5, a GPT-2 and a BERT
classifier, untrained (seeded) or trained for a few steps, written with ``save_pretrained`` like
a user's folders."""

from __future__ import annotations

import json
from pathlib import Path

WORDS = ("where does ann bob cat dan live work lives works in as a the paris rome oslo lima "
         "baker nurse pilot cook what is job of who and ? .").split()
NAMES, TOWNS, JOBS = ["ann", "bob", "cat", "dan"], ["paris", "rome", "oslo", "lima"], ["baker", "nurse", "pilot", "cook"]


def tokenizer():
    """A word-level fast tokenizer over ``WORDS`` with T5-style special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "</s>", "<unk>"]
    vocab = {w: i for i, w in enumerate(specials + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>")


def qa_items(n: int = 12) -> list[dict]:
    """Extractive questions whose answer is a word of the context."""
    items = []
    for i in range(n):
        name, town, job = NAMES[i % 4], TOWNS[(i // 4 + i) % 4], JOBS[(i * 3) % 4]
        context = f"{name} lives in {town} and works as a {job} ."
        if i % 2 == 0:
            items.append({"id": f"q{i}", "question": f"where does {name} live ?", "context": context,
                          "answers": [town], "group": "where"})
        else:
            items.append({"id": f"q{i}", "question": f"what is the job of {name} ?", "context": context,
                          "answers": [job, f"a {job}"], "group": "job"})
    return items


def write_qa(path: Path, n: int = 12) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in qa_items(n)))
    return path


def save_t5(folder: Path, seed: int = 0) -> Path:
    """An untrained tiny T5 (seeded) and its tokenizer, saved as safetensors."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    tok = tokenizer()
    torch.manual_seed(seed)
    config = T5Config(vocab_size=len(tok), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=1,
                      num_heads=2, dropout_rate=0.0, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    model = T5ForConditionalGeneration(config).eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def save_gpt2(folder: Path, seed: int = 0) -> Path:
    """An untrained tiny GPT-2 (seeded) and its tokenizer, saved as safetensors."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tok = tokenizer()
    tok._tokenizer.post_processor = None  # a causal LM's prompt gets no end-of-sequence token
    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=len(tok), n_embd=32, n_layer=2, n_head=2, n_positions=64,
                        bos_token_id=1, eos_token_id=1, pad_token_id=0)
    model = GPT2LMHeadModel(config).eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def train_t5(folder: Path, steps: int = 150, seed: int = 0) -> Path:
    """A tiny T5 that has memorised ``qa_items`` (a few seconds), so its answers are words."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    tok = tokenizer()
    torch.manual_seed(seed)
    config = T5Config(vocab_size=len(tok), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=1,
                      num_heads=2, dropout_rate=0.0, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    model = T5ForConditionalGeneration(config)
    items = qa_items()
    enc = tok([f"question: {i['question']} context: {i['context']}" for i in items], return_tensors="pt",
              padding=True)
    labels = tok([i["answers"][0] for i in items], return_tensors="pt", padding=True)["input_ids"]
    labels[labels == 0] = -100
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        loss = model(**enc, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval().save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def save_classifier(folder: Path, id2label: dict[int, str], seed: int = 0, prune_amount: float = 0.0) -> Path:
    """A tiny BERT classifier (seeded, untrained) and the word-level test tokenizer."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    tok = tokenizer()
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=0, id2label=id2label)
    model = BertForSequenceClassification(config).eval()
    if prune_amount:
        weights = [m.weight for m in model.modules() if isinstance(m, torch.nn.Linear)]
        cut = torch.quantile(torch.cat([w.detach().abs().flatten() for w in weights]), prune_amount)
        with torch.no_grad():
            for w in weights:
                w.mul_((w.abs() > cut).float())
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder
