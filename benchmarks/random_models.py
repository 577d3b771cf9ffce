"""Models with random weights and a word-level tokenizer, built in seconds with no download, for benchmarks.

Word "w<i>" is token i+5, so a prompt of n tokens is easy to make: the plain prompt format
"Customer: w.. w..\\nAgent:" has exactly (words + 2) tokens.
"""

from __future__ import annotations

import platform
import random
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from evalkit.replay import Case
from evalkit.transcript import Turn

SPECIAL = ["<pad>", "<eos>", "<unk>", "Customer:", "Agent:"]


def word_tokenizer(n_words: int):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate([*SPECIAL, *(f"w{i}" for i in range(n_words))])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")


def save_random_model(directory: Path, config, n_words: int, device: str = "cpu",
                      dtype: str = "float32") -> tuple[Path, Path]:
    """Random weights for `config` (pad id 0, eos id 1, as the word tokenizer has them): (model dir, tokenizer dir).

    The tokenizer lives in its own directory: beside a config of a known model type, transformers 5 would load that
    model's own tokenizer class instead of this word-level one.
    """
    import torch
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.save_pretrained(directory / "model")
    word_tokenizer(n_words).save_pretrained(directory / "tokenizer")
    return directory / "model", directory / "tokenizer"


def prompt_cases(n: int, prompt_tokens: int, n_words: int, seed: int = 0) -> list[Case]:
    """n distinct one-turn conversations whose plain prompt is exactly prompt_tokens tokens."""
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        text = " ".join(f"w{rng.randrange(n_words)}" for _ in range(prompt_tokens - 2))
        cases.append(Case(id=f"b{i}:1", transcript_id=f"b{i}", turn_index=1, context=(Turn("customer", text),),
                          reference=Turn("agent", "")))
    return cases


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    return f"{cpu}, nproc={nproc}, load average {load} at start, Python {platform.python_version()}"


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
