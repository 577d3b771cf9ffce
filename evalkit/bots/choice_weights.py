"""A causal LM's next-token probabilities of a few choices after each prompt and an answer prefix: how a local model
answers a judge's question when it weighs choices (`weighs_choices`) rather than writing a JSON verdict.

One forward pass per prompt, no generation. Each choice is represented by the first token it adds after the prefix,
so the choices must start distinct tokens there (digits 1–5, "A"/"B"/"tie" do for common tokenizers); a prefix and
choice that merge into one token, or two choices that share a first token, are refused rather than weighed wrongly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from evalkit.errors import InvalidData
from evalkit.reply import ChoiceWeights


def choice_tokens(tokenizer: Any, prefix: str, choices: Sequence[str]) -> list[int]:
    """The token each choice starts with after `prefix`."""
    before = tokenizer(prefix, add_special_tokens=False)["input_ids"]
    tokens = []
    for choice in choices:
        ids = tokenizer(prefix + choice, add_special_tokens=False)["input_ids"]
        if ids[:len(before)] != before or len(ids) == len(before):
            raise InvalidData(f"cannot weigh the choice {choice!r}: after {prefix!r} the tokenizer does not start a "
                              "new token with it")
        tokens.append(ids[len(before)])
    if len(set(tokens)) < len(tokens):
        raise InvalidData(f"cannot weigh the choices {list(choices)}: two of them start with the same token")
    return tokens


def weigh(model: Any, tokenizer: Any, prompts: Sequence[list[int]], prefix: str, choices: Sequence[str],
          batch_size: int) -> list[ChoiceWeights]:
    """`prompts`: token ids, each ready for the reply to start (a chat template's generation prompt)."""
    import torch

    tokens = choice_tokens(tokenizer, prefix, choices)
    after = tokenizer(prefix, add_special_tokens=False)["input_ids"]
    inputs = [list(p) + after for p in prompts]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    head = model.get_output_embeddings()
    order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
    found: list[ChoiceWeights | None] = [None] * len(inputs)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        width = max(len(inputs[i]) for i in chunk)
        # Padded on the right, so every prompt keeps positions 0.. (a plain forward pass does not shift them for
        # left padding as generate does); only the last real position of each goes through the output layer.
        ids = torch.tensor([inputs[i] + [pad] * (width - len(inputs[i])) for i in chunk], device=model.device)
        mask = torch.tensor([[1] * len(inputs[i]) + [0] * (width - len(inputs[i])) for i in chunk],
                            device=model.device)
        last = torch.tensor([len(inputs[i]) - 1 for i in chunk], device=model.device)
        began = time.perf_counter()
        with torch.no_grad():
            hidden = model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
            logits = head(hidden[torch.arange(len(chunk), device=model.device), last]).float()
        probabilities = torch.softmax(logits, dim=-1)[:, tokens].tolist()
        elapsed = time.perf_counter() - began
        for i, row in zip(chunk, probabilities, strict=True):
            found[i] = ChoiceWeights(dict(zip(choices, row, strict=True)), tokens_in=len(inputs[i]),
                                     latency_s=elapsed / len(chunk))
    return [w for w in found if w is not None]
