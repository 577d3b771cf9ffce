"""Batched vs one-at-a-time generation on CPU through TransformersBot, with a small random GPT-2 built here.

A 4-layer GPT-2 (n_embd 256, 4 heads, random weights, word-level tokenizer) replies to `--cases` distinct prompts
of `--prompt-tokens` tokens with exactly `--new-tokens` greedy tokens each (min_new_tokens = max_new_tokens), once
with batch_size=1 (one generate call per case) and once with batch_size=`--batch` (left-padded batches).
Both go through reply_batch; tokens/s counts generated tokens over wall time; best of `--repeats` runs.

    PYTHONPATH=. python benchmarks/transformers_batching.py [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from random_models import machine, prompt_cases, save_random_model, today

from evalkit.bots.transformers_bot import TransformersBot

N_WORDS = 2000


def measure(bot: TransformersBot, cases, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        replies = bot.reply_batch(cases)
        best = min(best, time.perf_counter() - began)
    return sum(r.tokens_out for r in replies) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--prompt-tokens", type=int, default=48)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the machine is shared: 1 is steadier)")
    parser.add_argument("--out", type=Path, default=None, help="directory to write transformers_batching.md into")
    args = parser.parse_args()

    import torch
    from transformers import GPT2Config

    torch.set_num_threads(args.threads)
    header = f"machine: {machine()}, torch threads {torch.get_num_threads()}; date: {today()}"
    cases = prompt_cases(args.cases, args.prompt_tokens, N_WORDS)
    with tempfile.TemporaryDirectory() as tmp:
        config = GPT2Config(vocab_size=N_WORDS + 8, n_positions=512, n_embd=256, n_layer=4, n_head=4,
                            pad_token_id=0, eos_token_id=1, bos_token_id=1)
        path, tokenizer = save_random_model(Path(tmp), config, N_WORDS)
        bot = TransformersBot(model=str(path), tokenizer=str(tokenizer), max_new_tokens=args.new_tokens,
                              min_new_tokens=args.new_tokens, device="cpu", batch_size=1)
        bot.reply_batch(cases[:2])  # load and warm up
        single = measure(bot, cases, args.repeats)
        bot.batch_size = args.batch
        batched = measure(bot, cases, args.repeats)
    table = "\n".join([
        f"# Batched vs one-at-a-time generation (CPU, {args.cases} prompts x {args.prompt_tokens} tokens, "
        f"{args.new_tokens} new tokens each)", "",
        header, "", "4-layer GPT-2, n_embd 256, random weights, float32, greedy.", "",
        "| path | generated tokens/s |", "|---|---|",
        f"| one at a time (batch_size=1) | {single:.0f} |",
        f"| batched (batch_size={args.batch}) | {batched:.0f} |", "",
        f"**batched / one-at-a-time = {batched / single:.1f}x**", ""])
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "transformers_batching.md").write_text(table)


if __name__ == "__main__":
    main()
