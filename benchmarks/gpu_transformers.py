"""TransformersBot vs plain `model.generate` on a GPU: a 0.5B-class decoder, eager and static-cache paths.

What it measures: a Qwen2-0.5B-shaped decoder (hidden 896, 24 layers, 14 heads, 2 KV heads, intermediate 4864,
vocab 151936) with random weights in bfloat16, saved to a temporary directory with a word-level tokenizer (no
download), loaded by TransformersBot. For each path (eager: dynamic cache; static: `cache_implementation="static"`,
which transformers compiles on GPU) and batch size (1/8/64/256), prompts of exactly 256 tokens get exactly 128 greedy
new tokens (min_new_tokens = max_new_tokens). Peer: `model.generate` on the same model object with pre-tokenized
tensors already on the GPU; candidate: `bot.reply_batch(cases)` at the same settings (tokenizing, padding, decoding
included). One warm-up call each (it triggers compilation), then `--repeats` alternating calls; best time of each.
Generated tokens/s and the ratio bot/plain (target >= 0.95). Rows are written as they finish, so a run cut short by
`--budget-s` or a time limit still leaves its table.

    PYTHONPATH=. python benchmarks/gpu_transformers.py --out "$OUT"       # GPU machine, about 5 minutes on an H100
    PYTHONPATH=. python benchmarks/gpu_transformers.py --smoke --out /tmp  # tiny sizes on CPU: the script works

Reference figures (H100, transformers 5.17, plain generate): eager 59 / 475 / 3,440 / 13,622 tokens/s;
static cache 340 / 2,537 / 11,645 / 17,865 tokens/s at batch 1 / 8 / 64 / 256.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from random_models import machine, prompt_cases, save_random_model, today

from evalkit.bots.transformers_bot import TransformersBot

N_WORDS = 5000
REFERENCE = {("eager", 1): 59, ("eager", 8): 475, ("eager", 64): 3440, ("eager", 256): 13622,
             ("static", 1): 340, ("static", 8): 2537, ("static", 64): 11645, ("static", 256): 17865}


def qwen2_config(smoke: bool):
    from transformers import Qwen2Config

    if smoke:
        return Qwen2Config(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                           intermediate_size=128, vocab_size=N_WORDS + 16, max_position_embeddings=512,
                           tie_word_embeddings=True, pad_token_id=0, eos_token_id=1, bos_token_id=1)
    return Qwen2Config(hidden_size=896, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                       intermediate_size=4864, vocab_size=151936, max_position_embeddings=32768,
                       rope_theta=1_000_000.0, tie_word_embeddings=True, pad_token_id=0, eos_token_id=1,
                       bos_token_id=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny model and sizes, runs on CPU in seconds")
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", ".")))
    parser.add_argument("--batches", default=None, help="comma-separated batch sizes (default 1,8,64,256)")
    parser.add_argument("--modes", default="eager,static")
    parser.add_argument("--prompt-tokens", type=int, default=None)
    parser.add_argument("--new-tokens", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--budget-s", type=float, default=330, help="start no new measurement after this long")
    args = parser.parse_args()
    began = time.monotonic()

    import torch
    import transformers

    batches = [int(b) for b in (args.batches or ("1,4" if args.smoke else "1,8,64,256")).split(",")]
    prompt_tokens = args.prompt_tokens or (16 if args.smoke else 256)
    new_tokens = args.new_tokens or (8 if args.smoke else 128)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = "bfloat16" if device == "cuda" else "float32"
    gpu = torch.cuda.get_device_name(0) if device == "cuda" else "no GPU (CPU run)"
    args.out.mkdir(parents=True, exist_ok=True)
    out_file = args.out / "gpu_transformers.md"
    head = [
        "# TransformersBot vs plain model.generate" + (" (smoke run, tiny sizes)" if args.smoke else ""), "",
        f"device: {gpu}; host: {machine()}; torch {torch.__version__}, transformers {transformers.__version__}; "
        f"date: {today()}", "",
        f"{'tiny' if args.smoke else 'Qwen2-0.5B-shaped'} decoder, random weights, {dtype}, greedy, "
        f"{prompt_tokens} prompt tokens, {new_tokens} new tokens (min_new_tokens = max_new_tokens), "
        f"best of {args.repeats} after one warm-up.", "",
        "| path | batch | plain generate tok/s | evalkit bot tok/s | bot / plain | reference tok/s (H100, 5.17) |",
        "|---|---|---|---|---|---|"]
    rows: list[str] = []

    def write() -> None:
        out_file.write_text("\n".join([*head, *rows, ""]))
        print(rows[-1] if rows else "\n".join(head), flush=True)

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    with tempfile.TemporaryDirectory() as tmp:
        path, tokenizer = save_random_model(Path(tmp), qwen2_config(args.smoke), N_WORDS, device=device, dtype=dtype)
        bot = TransformersBot(model=str(path), tokenizer=str(tokenizer), max_new_tokens=new_tokens,
                              min_new_tokens=new_tokens, device=device, dtype=dtype)
        model, tokenizer = bot.load()
        print(f"model ready after {time.monotonic() - began:.0f} s", flush=True)
        write()
        for mode in args.modes.split(","):
            bot.static_cache = mode == "static"
            for batch in batches:
                if time.monotonic() - began > args.budget_s:
                    rows.append(f"| {mode} | {batch} | skipped: time budget ({args.budget_s:.0f} s) spent | | | |")
                    write()
                    continue
                cases = prompt_cases(batch, prompt_tokens, N_WORDS, seed=batch)
                ids = bot.encode_batch([c.context for c in cases])
                assert {len(i) for i in ids} == {prompt_tokens}, "prompts must be exactly prompt_tokens long"
                inputs = tokenizer.pad({"input_ids": ids}, return_tensors="pt").to(model.device)
                kwargs = {"max_new_tokens": new_tokens, "min_new_tokens": new_tokens, "do_sample": False,
                          "pad_token_id": tokenizer.pad_token_id}
                if mode == "static":
                    kwargs["cache_implementation"] = "static"
                bot.batch_size = batch

                def plain(inputs=inputs, kwargs=kwargs, batch=batch) -> tuple[float, int]:
                    sync()
                    start = time.perf_counter()
                    output = model.generate(**inputs, **kwargs)
                    sync()
                    return time.perf_counter() - start, batch * (output.shape[1] - prompt_tokens)

                def via_bot(cases=cases) -> tuple[float, int]:
                    sync()
                    start = time.perf_counter()
                    replies = bot.reply_batch(cases)
                    sync()
                    assert all(r.ok for r in replies)
                    return time.perf_counter() - start, sum(r.tokens_out for r in replies)

                plain(), via_bot()  # warm-up; compiles on the static path
                plain_runs, bot_runs = [], []
                for _ in range(args.repeats):
                    plain_runs.append(plain())
                    bot_runs.append(via_bot())
                plain_tps = max(tokens / seconds for seconds, tokens in plain_runs)
                bot_tps = max(tokens / seconds for seconds, tokens in bot_runs)
                reference = REFERENCE.get((mode, batch))
                rows.append(f"| {mode} | {batch} | {plain_tps:,.0f} | {bot_tps:,.0f} | {bot_tps / plain_tps:.3f} | "
                            f"{f'{reference:,}' if reference and not args.smoke else '–'} |")
                write()
    rows.append("")
    rows.append(f"total wall time {time.monotonic() - began:.0f} s")
    write()


if __name__ == "__main__":
    main()
