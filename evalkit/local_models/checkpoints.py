"""Local Hugging Face language models (causal LM or seq2seq) loaded once per process, and what identifies them.

Every user of a checkpoint goes through `load`: a bot, the judges of a run on the same model (each rubric criterion
has a backend of its own) and the quality scorer's likelihood features hold one copy of its weights between them.
torch and transformers are imported on first load, so configs that name a checkpoint instantiate in milliseconds.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from evalkit.local_models.device import resolve_device
from evalkit.local_models.packaged import ModelFiles

Kind = Literal["auto", "causal", "seq2seq"]
KINDS: tuple[str, ...] = ("auto", "causal", "seq2seq")
DTYPES: tuple[str, ...] = ("auto", "float32", "bfloat16", "float16")
_HASHED_FILE_LIMIT = 64 * 2**20  # files up to this size are hashed; larger (weights) are identified by size and mtime


@dataclass(frozen=True)
class Checkpoint:
    """How to load one model: its files and the settings that change the loaded weights."""

    files: ModelFiles
    revision: str | None = None
    tokenizer: str | None = None  # a tokenizer directory of its own; None: the checkpoint's (a GGUF file's own)
    kind: Kind = "auto"
    device: str = "auto"
    dtype: str = "auto"  # auto: float32 on CPU (half precision there is slow and lossy), the checkpoint's on GPU

    def resolved(self) -> Checkpoint:
        """The same checkpoint with `auto` device and dtype decided, so equal loads share one key."""
        device = resolve_device(self.device)
        dtype = self.dtype if self.dtype != "auto" else ("float32" if device == "cpu" else "auto")
        return Checkpoint(self.files, self.revision, self.tokenizer, self.kind, device, dtype)


_loaded: dict[Checkpoint, tuple[Any, Any]] = {}
_loading = threading.Lock()


def load(checkpoint: Checkpoint) -> tuple[Any, Any]:
    """(model, tokenizer) in eval mode on the checkpoint's device, shared within the process.

    Causal LMs get left padding (they continue the last token), seq2seq models right padding; a tokenizer without
    a pad token pads with end-of-sequence. An unreadable checkpoint raises OSError, as transformers does.
    """
    key = checkpoint.resolved()
    with _loading:
        if key not in _loaded:
            _loaded[key] = _load(key)
        return _loaded[key]


def _load(checkpoint: Checkpoint) -> tuple[Any, Any]:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    if not sys.stderr.isatty():
        hf_logging.disable_progress_bar()  # CI logs stay free of "Loading weights" bars
    files, revision = checkpoint.files, checkpoint.revision
    # A GGUF checkpoint is de-quantised into ordinary weights; its tokenizer comes from the same file.
    gguf = {"gguf_file": files.gguf_file} if files.gguf_file else {}
    config = AutoConfig.from_pretrained(files.directory, revision=revision, **gguf)
    seq2seq = config.is_encoder_decoder if checkpoint.kind == "auto" else checkpoint.kind == "seq2seq"
    model_class = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
    model = model_class.from_pretrained(files.directory, revision=revision, dtype=checkpoint.dtype, **gguf)
    if checkpoint.tokenizer:
        tokenizer = AutoTokenizer.from_pretrained(checkpoint.tokenizer)
    else:
        tokenizer = AutoTokenizer.from_pretrained(files.directory, revision=revision, **gguf)
    model.to(checkpoint.device).eval()
    tokenizer.padding_side = "right" if seq2seq else "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def identity(files: ModelFiles) -> str | dict[str, str]:
    """What a reply cache keys a model on: its weights file for a GGUF, a directory's digest, else its name."""
    if files.gguf_file:
        weights = (Path(files.directory) / files.gguf_file).stat()  # one file among others (a package's code)
        return {files.gguf_file: f"size={weights.st_size},mtime_ns={weights.st_mtime_ns}"}
    return directory_identity(files.directory)


def directory_identity(path: str) -> str | dict[str, str]:
    return local_model_digest(Path(path)) if Path(path).is_dir() else path


def local_model_digest(path: Path) -> dict[str, str]:
    """What identifies a checkpoint directory: content hashes of config/tokenizer files, size+mtime of weights.

    Hashing gigabytes of weights on every run would cost seconds to minutes; a retrained or replaced weight file
    changes size or mtime, and copies that keep mtimes (cp -p, rsync -a) keep the fingerprint.
    """
    digest = {}
    for file in sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")):
        stat = file.stat()
        if stat.st_size <= _HASHED_FILE_LIMIT:
            digest[file.name] = hashlib.sha256(file.read_bytes()).hexdigest()
        else:
            digest[file.name] = f"size={stat.st_size},mtime_ns={stat.st_mtime_ns}"
    return digest
