"""The demo's T5: its config, and training from scratch (or fine-tuning with zeros kept) on CPU.

Why these choices (each measured while building the demo): copying the right word is learnt
late, after a plateau where the model answers with either of the two towns, so training takes
many small batches (32) at a modest rate (1e-3; at 2e-3 it stays on the plateau) with a warm-up
and a cosine decay, and the position biases start local (``locality_prior``). Dropout is off:
the task has no noise to overfit. One intra-op thread: measured on two cores shared with other
processes, a second thread made a training step 2x to 28x slower (its threads wait for each
other whenever one is descheduled). Seeded initialisation and batch order, one thread: a rebuild
gives the same models.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from backend.demo.text.data import QA

PROMPT = "question: {question} context: {context}"
TRAIN_THREADS = 1
BATCH = 32
LOCALITY_SLOPES = (1.0, 0.5, 0.25, 0.0)


@contextmanager
def threads(n: int) -> Iterator[None]:
    """Run a block with at most ``n`` intra-op threads (never more than the process has)."""
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(n, before)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def t5_config(vocab_size: int) -> Any:
    """A 0.8M-parameter T5: 3 encoder and 2 decoder layers, d_model 128, 4 heads, no dropout."""
    from transformers import T5Config

    return T5Config(vocab_size=vocab_size, d_model=128, d_kv=32, d_ff=256, num_layers=3,
                    num_decoder_layers=2, num_heads=4, dropout_rate=0.0, pad_token_id=0,
                    eos_token_id=1, decoder_start_token_id=0)


def new_model(vocab_size: int, seed: int) -> nn.Module:
    """A freshly initialised T5 (seeded) whose position biases start with a locality prior."""
    from transformers import T5ForConditionalGeneration

    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(t5_config(vocab_size))
    locality_prior(model)
    return model


def locality_prior(model: nn.Module, slopes: tuple[float, ...] = LOCALITY_SLOPES) -> None:
    """Start each encoder head's relative position bias at ``-slope * |distance|`` (ALiBi-like).

    Why: at T5's default (near-zero) biases every token attends almost uniformly, so a town does
    not know which relation ("lives in", "born in") stands next to it, and choosing between the
    two facts gives almost no gradient. Measured with this demo's recipe (1,200 steps): exact
    match 0.47 (chance between the two facts) without this prior, 1.00 with it. Head 4 keeps a
    flat start (slope 0) for attention that is not local.
    """
    attention = model.encoder.block[0].layer[0].SelfAttention
    table = attention.relative_attention_bias.weight
    buckets, heads = table.shape
    distance = torch.arange(-attention.relative_attention_max_distance,
                            attention.relative_attention_max_distance + 1)
    bucket = attention._relative_position_bucket(distance, bidirectional=True, num_buckets=buckets,
                                                 max_distance=attention.relative_attention_max_distance)
    nearest = torch.full((buckets,), float(distance.abs().max()))
    nearest.scatter_reduce_(0, bucket, distance.abs().float(), reduce="amin")
    with torch.no_grad():
        for h in range(heads):
            table[:, h] = -slopes[h % len(slopes)] * nearest


@dataclass(frozen=True)
class Batches:
    """The training questions as padded tensors: encoder ids and mask, answer labels (-100 = pad)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor


def encode(items: list[QA], tokenizer: Any) -> Batches:
    """Prompts and first references, tokenised once (the first reference is the bare word)."""
    prompts = [PROMPT.format(question=q.question, context=q.context) for q in items]
    enc = tokenizer(prompts, return_tensors="pt", padding=True)
    labels = tokenizer([q.answers[0] for q in items], return_tensors="pt", padding=True)["input_ids"]
    labels[labels == tokenizer.pad_token_id] = -100
    return Batches(enc["input_ids"], enc["attention_mask"], labels)


def fit(model: nn.Module, data: Batches, steps: int, lr: float, seed: int, warmup: int = 0,
        masks: dict[str, torch.Tensor] | None = None, log: Callable[[str], None] | None = None,
        what: str = "train") -> nn.Module:
    """AdamW with a linear warm-up and cosine decay, in place; masked parameters stay exactly zero."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    params = dict(model.named_parameters())
    n = len(data.labels)
    order = torch.randperm(n, generator=gen)
    pos, running = 0, 0.0
    model.train()
    with threads(TRAIN_THREADS):
        for step in range(steps):
            if pos + BATCH > n:
                order, pos = torch.randperm(n, generator=gen), 0
            idx = order[pos:pos + BATCH]
            pos += BATCH
            opt.zero_grad()
            loss = model(input_ids=data.input_ids[idx], attention_mask=data.attention_mask[idx],
                         labels=data.labels[idx]).loss
            loss.backward()
            opt.step()
            sched.step()
            if masks:
                with torch.no_grad():
                    for name, mask in masks.items():
                        params[name].mul_(mask)
            value = float(loss.detach())
            running = 0.98 * running + 0.02 * value if step else value
            if log is not None and ((step + 1) % 100 == 0 or step + 1 == steps):
                log(f"  {what}: step {step + 1}/{steps}, loss {running:.3f}")
    return model.eval()
