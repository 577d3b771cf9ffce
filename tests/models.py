"""Tiny models the tests build themselves (no hub): a 2-layer GPT-2 with a byte-level BPE tokenizer trained here."""

from __future__ import annotations

from pathlib import Path

_TINY_CORPUS = [
    "hi, my card was charged twice for the same order",
    "I can refund that for you today, sorry about the trouble",
    "please send me the last four digits of your account number",
    "thanks for waiting, the refund is on its way to your bank",
    "my transfer has not arrived yet, can you check it?",
    "Customer: Agent: System: [system] user assistant",
]


def build_tiny_gpt2(directory: Path, chat_template: str | None = None) -> Path:
    """A 2-layer GPT-2 with random weights and a byte-level BPE tokenizer trained here; no hub involved."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(_TINY_CORPUS * 5, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    eos = "<|endoftext|>"
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=eos, bos_token=eos, unk_token=eos)
    if chat_template:
        tokenizer.chat_template = chat_template
    torch.manual_seed(0)
    eos_id = bpe.token_to_id(eos)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=bpe.get_vocab_size(), n_positions=256, n_embd=32, n_layer=2,
                                       n_head=2, bos_token_id=eos_id, eos_token_id=eos_id))
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


TINY_CHAT_TEMPLATE = (
    "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<assistant>{% endif %}"
)
