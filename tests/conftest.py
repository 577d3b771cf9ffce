"""Shared fixtures. Tests never reach a model hub, a dataset hub or a telemetry host."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

for _name, _value in {"MLFLOW_DISABLE_TELEMETRY": "true", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                      "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}.items():
    os.environ.setdefault(_name, _value)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
TWITTER_DEV = SHARED_DATA / "ibm-twitter-care" / "dev.json"
ABCD_SAMPLE = SHARED_DATA / "abcd" / "data" / "abcd_sample.json"
DEMO = PROJECT_ROOT / "datasets" / "demo"


@pytest.fixture(autouse=True)
def _no_ambient_tracking_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's MLFLOW_TRACKING_URI must not receive test runs."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture(autouse=True)
def _own_reply_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs composed from configs/run.yaml (in-process or CLI subprocesses) never touch the project's reply cache."""
    monkeypatch.setenv("EVALKIT_CACHE_PATH", str(tmp_path / "reply-cache.sqlite"))


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    """A fresh embedded MLflow store for one test."""
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


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


@pytest.fixture(scope="session")
def tiny_gpt2_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny causal LM checkpoint on disk whose tokenizer has no chat template (and no pad token)."""
    return build_tiny_gpt2(tmp_path_factory.mktemp("tiny-gpt2"))


@pytest.fixture(scope="session")
def tiny_gpt2_chat_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same tiny model, its tokenizer carrying a chat template."""
    return build_tiny_gpt2(tmp_path_factory.mktemp("tiny-gpt2-chat"), chat_template=TINY_CHAT_TEMPLATE)
