"""A word-level T5-style tokenizer for the generated task, saved with every model.

Why word-level: the task's answers are single words, so one token per word keeps the model
small (a vocabulary of ~180) and makes "copy one token of the context" the whole skill. It is
a ``tokenizers`` pipeline wrapped in transformers' ``PreTrainedTokenizerFast``, so
``save_pretrained`` writes it next to the weights and the inspector's ``AutoTokenizer`` loads
it back with no code of ours.
"""

from __future__ import annotations

from typing import Any

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
SPECIALS = (PAD, EOS, UNK)  # ids 0, 1, 2 as in T5: pad is also the decoder's start token


def build_tokenizer(words: list[str]) -> Any:
    """WordLevel over ``words`` + WhitespaceSplit; decoding joins words with spaces; </s> appended."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate([*SPECIALS, *(w for w in words if w not in SPECIALS)])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # words joined by single spaces
    tok.post_processor = processors.TemplateProcessing(single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}",
                                                       special_tokens=[(EOS, vocab[EOS])])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=PAD, eos_token=EOS, unk_token=UNK)
