from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evalkit.bots.transformers_bot import TransformersBot
from evalkit.contract import Bot
from evalkit.errors import InvalidData
from evalkit.replay import Case
from evalkit.transcript import Turn


def case(i: int, *texts: str) -> Case:
    roles = ["customer", "agent"]
    context = tuple(Turn(roles[k % 2], text) for k, text in enumerate(texts))
    return Case(id=f"t{i}:{len(texts)}", transcript_id=f"t{i}", turn_index=len(texts), context=context,
                reference=Turn("agent", "reference"))


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models gain nothing from threads, and on a loaded machine the threads' spin-waits dominate."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


CASES = [
    case(0, "hi, my card was charged twice"),
    case(1, "my transfer has not arrived yet", "I can check it", "thanks, it was sent on monday to my bank"),
    case(2, "refund please"),
    case(3, "please send me the last four digits", "1234", "thanks for waiting"),
    case(4, "can you check my account number?"),
]


class CountingBot(TransformersBot):
    """Records the size of every generate call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls: list[int] = []

    def _generate(self, prompts):
        self.calls.append(len(prompts))
        return super()._generate(prompts)


def test_constructor_only_stores_arguments():
    bot = TransformersBot(model="/no/such/model", max_new_tokens=4)
    assert isinstance(bot, Bot)
    assert bot._loaded is None
    with pytest.raises(InvalidData, match="cannot load model '/no/such/model'"):
        bot.reply_batch(CASES[:1])


def test_batched_greedy_replies_match_one_at_a_time(tiny_gpt2_path: Path):
    batched = CountingBot(model=str(tiny_gpt2_path), max_new_tokens=8, batch_size=4)
    replies = batched.reply_batch(CASES)
    assert batched.calls == [4, 1]
    single = TransformersBot(model=str(tiny_gpt2_path), max_new_tokens=8, batch_size=1)
    one_by_one = [single.reply_batch([c])[0] for c in CASES]
    # Left padding leaves every prompt's continuation unchanged, so greedy outputs agree exactly.
    assert [r.text for r in replies] == [r.text for r in one_by_one]
    assert [r.tokens_out for r in replies] == [r.tokens_out for r in one_by_one]
    assert all(r.ok and r.latency_s > 0 for r in replies)


def test_records_tokens_and_cost(tiny_gpt2_path: Path):
    bot = TransformersBot(model=str(tiny_gpt2_path), max_new_tokens=6, min_new_tokens=6,
                          price_per_1k_in=1.0, price_per_1k_out=2.0)
    replies = bot.reply_batch(CASES[:3])
    for c, reply in zip(CASES[:3], replies, strict=True):
        assert reply.tokens_in == len(bot.encode(c.context))
        assert reply.tokens_out == 6
        assert reply.truncated is True  # min_new_tokens held the stop token off until max_new_tokens
        assert reply.cost == pytest.approx((reply.tokens_in * 1.0 + 6 * 2.0) / 1000)
    assert TransformersBot(model=str(tiny_gpt2_path), max_new_tokens=2).reply_batch(CASES[:1])[0].cost is None


def test_plain_prompt_without_chat_template(tiny_gpt2_path: Path):
    bot = TransformersBot(model=str(tiny_gpt2_path), system_prompt="Be brief.")
    context = (Turn("customer", "hi"), Turn("system", "refund initiated"), Turn("agent", "done"))
    assert bot.prompt(context) == "Be brief.\n\nCustomer: hi\nSystem: refund initiated\nAgent: done\nAgent:"
    dropping = TransformersBot(model=str(tiny_gpt2_path), system_role="drop")
    assert dropping.prompt(context) == "Customer: hi\nAgent: done\nAgent:"


def test_chat_template_maps_roles(tiny_gpt2_path: Path, tiny_gpt2_chat_path: Path):
    context = (Turn("customer", "hi"), Turn("agent", "hello"), Turn("system", "refund initiated"),
               Turn("customer", "ok?"))
    bot = TransformersBot(model=str(tiny_gpt2_chat_path), system_prompt="Be brief.", max_new_tokens=4)
    assert bot.prompt(context) == ("<system>Be brief.\n<user>hi\n<assistant>hello\n"
                                   "<user>[system] refund initiated\nok?\n<assistant>")
    as_system = TransformersBot(model=str(tiny_gpt2_chat_path), system_role="system")
    assert as_system.prompt(context) == "<user>hi\n<assistant>hello\n<system>refund initiated\n<user>ok?\n<assistant>"
    separate = TransformersBot(model=str(tiny_gpt2_path), tokenizer=str(tiny_gpt2_chat_path))
    assert separate.prompt(context[:1]) == "<user>hi\n<assistant>"  # the tokenizer (and template) named apart
    assert separate.fingerprint() != TransformersBot(model=str(tiny_gpt2_path)).fingerprint()
    replies = bot.reply_batch(CASES[:2])
    assert all(r.ok and r.tokens_in == len(bot.encode(c.context)) for c, r in zip(CASES[:2], replies, strict=True))


def test_long_context_keeps_the_most_recent_turns(tiny_gpt2_path: Path):
    bot = TransformersBot(model=str(tiny_gpt2_path), max_input_tokens=40)
    context = tuple(Turn("customer" if i % 2 == 0 else "agent", f"message number {i} about my card")
                    for i in range(12))
    ids = bot.encode(context)
    assert len(ids) <= 40
    text = bot.loaded_tokenizer.decode(ids)
    assert "number 11 about my card\nAgent:" in text
    assert "number 0 " not in text
    assert text.startswith("Customer:") or text.startswith("Agent:")  # whole turns dropped, not cut mid-way


def test_sampling_is_reproducible_with_a_seed(tiny_gpt2_path: Path):
    def sample(seed: int) -> list[str | None]:
        bot = TransformersBot(model=str(tiny_gpt2_path), max_new_tokens=10, min_new_tokens=10, do_sample=True,
                              temperature=1.5, seed=seed)
        return [r.text for r in bot.reply_batch(CASES)]

    assert sample(1) == sample(1)
    assert sample(1) != sample(2)


def test_static_cache_gives_the_same_greedy_replies(tiny_gpt2_path: Path):
    dynamic = TransformersBot(model=str(tiny_gpt2_path), max_new_tokens=6)
    static = TransformersBot(model=str(tiny_gpt2_path), max_new_tokens=6, static_cache=True)
    assert static.generate_kwargs()["cache_implementation"] == "static"
    assert [r.text for r in static.reply_batch(CASES)] == [r.text for r in dynamic.reply_batch(CASES)]


def test_fingerprint_covers_checkpoint_and_generation_params(tiny_gpt2_path: Path, tmp_path: Path):
    same = TransformersBot(model=str(tiny_gpt2_path)).fingerprint()
    assert TransformersBot(model=str(tiny_gpt2_path), batch_size=2).fingerprint() == same  # speed, not output
    assert TransformersBot(model=str(tiny_gpt2_path), max_new_tokens=7).fingerprint() != same
    assert TransformersBot(model=str(tiny_gpt2_path), system_prompt="x").fingerprint() != same
    copy = Path(shutil.copytree(tiny_gpt2_path, tmp_path / "copy"))
    assert TransformersBot(model=str(copy)).fingerprint() == same  # where it lives does not matter
    (copy / "config.json").write_text((copy / "config.json").read_text().replace('"n_layer": 2', '"n_layer": 1'))
    assert TransformersBot(model=str(copy)).fingerprint() != same
    assert TransformersBot(model="org/model").fingerprint() != TransformersBot(model="org/model",
                                                                              revision="abc").fingerprint()


def test_seq2seq_model(tiny_gpt2_path: Path, tmp_path: Path):
    from transformers import AutoTokenizer, T5Config, T5ForConditionalGeneration

    tokenizer = AutoTokenizer.from_pretrained(tiny_gpt2_path)
    tokenizer.pad_token = tokenizer.eos_token
    model = T5ForConditionalGeneration(T5Config(
        vocab_size=len(tokenizer), d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id))
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    bot = TransformersBot(model=str(tmp_path), max_new_tokens=5, min_new_tokens=5)
    replies = bot.reply_batch(CASES[:3])
    assert bot.is_seq2seq
    assert all(r.ok and r.tokens_out == 5 for r in replies)
    assert [r.text for r in replies] == [bot.reply_batch([c])[0].text for c in CASES[:3]]
