from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from evalkit.bots.cache import CachedBot, ReplyStore, with_cache
from evalkit.bots.fingerprint import fingerprint_of
from evalkit.bots.human import HumanBot
from evalkit.bots.recorded import RecordedBot
from evalkit.bots.retrieval import RetrievalBot
from evalkit.contract import Bot
from evalkit.errors import StorageFailed
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.testing import EchoBot
from evalkit.transcript import Turn
from tests.data import PROJECT_ROOT


def case(i: int, text: str) -> Case:
    return Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1, context=(Turn("customer", text),),
                reference=Turn("agent", "ref"))


CASES = [case(0, "hello"), case(1, "my card"), case(2, "please fail"), case(3, "refund")]


def test_hits_skip_the_bot_and_keep_what_it_reported(tmp_path: Path):
    store = ReplyStore(tmp_path / "replies.sqlite")
    first = CachedBot(EchoBot(), store)
    cold = first.reply_batch(CASES)
    assert first.stats() == {"cache_hits": 0, "cache_misses": 4}
    inner = EchoBot()
    warm_bot = CachedBot(inner, store)
    warm = warm_bot.reply_batch([c for c in CASES if c.id != "t2:1"])
    assert inner.asked == []
    assert warm == [r for c, r in zip(CASES, cold, strict=True) if c.id != "t2:1"]
    assert warm[0].latency_s == 0.5 and warm[0].cost == 0.01
    assert warm_bot.stats() == {"cache_hits": 3, "cache_misses": 0}
    assert isinstance(warm_bot, Bot) and warm_bot.name == "echo"
    assert warm_bot.fingerprint() == inner.fingerprint()


def test_errors_are_not_cached(tmp_path: Path):
    store = ReplyStore(tmp_path / "replies.sqlite")
    CachedBot(EchoBot(), store).reply_batch(CASES)
    assert len(store) == 3
    inner = EchoBot()
    again = CachedBot(inner, store).reply_batch(CASES)
    assert inner.asked == [["t2:1"]]  # only the failed case goes back to the bot, as one batch
    assert again[2].error == "backend said no"


def test_only_misses_go_to_the_bot_in_one_batch(tmp_path: Path):
    store = ReplyStore(tmp_path / "replies.sqlite")
    CachedBot(EchoBot(), store).reply_batch(CASES[:2])
    inner = EchoBot()
    replies = CachedBot(inner, store).reply_batch([*CASES, case(9, "hello")])
    assert inner.asked == [["t2:1", "t3:1"]]
    assert replies[4].text == "olleh"  # same context as t0: served from the store


def test_same_context_in_one_batch_is_generated_once(tmp_path: Path):
    inner = EchoBot()
    replies = CachedBot(inner, ReplyStore(tmp_path / "r.sqlite")).reply_batch([case(0, "hi"), case(1, "hi")])
    assert inner.asked == [["t0:1"]]
    assert [r.text for r in replies] == ["ih", "ih"]


def test_key_covers_fingerprint_and_sample_index(tmp_path: Path):
    store = ReplyStore(tmp_path / "replies.sqlite")
    CachedBot(EchoBot(), store).reply_batch(CASES[:1])
    other_version, other_sample = EchoBot(version=2), EchoBot()
    CachedBot(other_version, store).reply_batch(CASES[:1])
    CachedBot(other_sample, store, sample_index=1).reply_batch(CASES[:1])
    assert other_version.asked == [["t0:1"]]
    assert other_sample.asked == [["t0:1"]]


_WRITER = """
import sys
from evalkit.bots.cache import CachedBot, ReplyStore
from evalkit.bots.fingerprint import fingerprint_of
from evalkit.contract import Bot
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.transcript import Turn

class Upper(Bot):
    name = "upper"
    def fingerprint(self): return fingerprint_of("upper")
    def reply_batch(self, cases): return [Reply(text=c.context[-1].text.upper()) for c in cases]

store = ReplyStore(sys.argv[1])
bot = CachedBot(Upper(), store)
for i in range(int(sys.argv[2]), int(sys.argv[3])):
    bot.reply_batch([Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1,
                          context=(Turn("customer", f"message {i}"),), reference=Turn("agent", "r"))])
"""


def test_store_is_shared_across_processes(tmp_path: Path):
    path = tmp_path / "replies.sqlite"
    env = {"PYTHONPATH": str(PROJECT_ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(lo), str(lo + 50)], env=env)
               for lo in (0, 50)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]

    class Refuses(Bot):
        name = "upper"

        def fingerprint(self) -> str:
            return fingerprint_of("upper")

        def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
            raise AssertionError(f"asked for {[c.id for c in cases]}")

    cases = [Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1, context=(Turn("customer", f"message {i}"),),
                  reference=Turn("agent", "r")) for i in range(100)]
    replies = CachedBot(Refuses(), ReplyStore(path)).reply_batch(cases)
    assert [r.text for r in replies] == [f"MESSAGE {i}" for i in range(100)]


def test_only_bots_whose_reply_follows_from_the_context_are_wrapped(tmp_path: Path):
    store = ReplyStore(tmp_path / "replies.sqlite")
    echo = EchoBot()
    wrapped = with_cache([HumanBot(), RecordedBot(path="x.jsonl"), RetrievalBot(), echo], store)
    assert [type(b).__name__ for b in wrapped] == ["HumanBot", "RecordedBot", "RetrievalBot", "CachedBot"]
    assert with_cache([echo], None) == [echo]


_SLOW = """
import sys, time
from pathlib import Path
from evalkit.bots.cache import CachedBot
from evalkit.bots.python_callable import CallableBot
from evalkit.bots.reply_store import ReplyStore
from evalkit.replay import Case
from evalkit.transcript import Turn

log = Path(sys.argv[2])

def reply(context):
    with log.open("a") as out:  # one line per generated reply: what the bot was really asked for
        out.write(context[-1]["text"] + "\\n")
    time.sleep(0.05)
    return context[-1]["text"].upper()

bot = CachedBot(CallableBot("__main__:reply", name="slow"), ReplyStore(sys.argv[1]))
cases = [Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1, context=(Turn("customer", f"message {i}"),),
              reference=Turn("agent", "r")) for i in range(int(sys.argv[3]))]
print(len([r for r in bot.reply_batch(cases) if r.ok]), flush=True)
"""


def test_a_kill_mid_batch_keeps_every_finished_reply(tmp_path: Path):
    store, log = tmp_path / "replies.sqlite", tmp_path / "asked.txt"
    env = {"PYTHONPATH": str(PROJECT_ROOT)}
    first = subprocess.Popen([sys.executable, "-c", _SLOW, str(store), str(log), "60"], env=env)
    deadline = time.monotonic() + 60
    while (not log.exists() or len(log.read_text().splitlines()) < 15) and time.monotonic() < deadline:
        time.sleep(0.05)
    first.kill()  # SIGKILL in the middle of its one batch of 60
    first.wait(timeout=30)
    asked_before = log.read_text().splitlines()
    assert 15 <= len(asked_before) < 60, "the kill must land mid-batch for this test to mean anything"
    again = subprocess.run([sys.executable, "-c", _SLOW, str(store), str(log), "60"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert again.stdout.strip() == "60"
    asked = log.read_text().splitlines()
    # Only the reply in flight at the kill (at most one: the callable is called a case at a time) is asked again.
    assert len(asked) - 60 <= 1 and sorted(set(asked)) == sorted(f"message {i}" for i in range(60))


def test_two_processes_sharing_the_cache_generate_each_reply_once(tmp_path: Path):
    store, log = tmp_path / "replies.sqlite", tmp_path / "asked.txt"
    env = {"PYTHONPATH": str(PROJECT_ROOT)}
    runs = [subprocess.Popen([sys.executable, "-c", _SLOW, str(store), str(log), "40"], env=env,
                             stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [r.communicate(timeout=120)[0].strip() for r in runs]
    assert outputs == ["40", "40"]  # both got every reply ...
    asked = log.read_text().splitlines()
    assert sorted(asked) == sorted(f"message {i}" for i in range(40))  # ... and each was generated once


def test_a_cache_file_the_machine_refuses_is_named(tmp_path: Path):
    (tmp_path / "replies.sqlite").mkdir()  # SQLite cannot open a directory as its database
    with pytest.raises(StorageFailed, match=r"replies\.sqlite: the reply cache cannot be used .*cache=off"):
        ReplyStore(tmp_path / "replies.sqlite").get_many(["a key"])
