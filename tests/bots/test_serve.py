import random
import time

import httpx
import pytest
from hydra import compose, initialize_config_dir

from evalkit.bots.http import OpenAIChatBot
from evalkit.bots.openai_wire import to_case
from evalkit.bots.python_callable import CallableBot
from evalkit.bots.retrieval import RetrievalBot
from evalkit.bots.serving import Faults, create_app, faults_from, running
from evalkit.cli.config import CONFIG_DIR
from evalkit.cli.serve import served_bot
from evalkit.errors import InvalidData
from evalkit.loaders.table import TableLoader
from evalkit.replay import Case, expand
from evalkit.reply import Reply
from evalkit.transcript import Turn
from tests.data import DEMO

MODULE = __name__


def echo(context):
    return {"text": f"echo: {context[-1]['text']}", "handoff": "human" in context[-1]["text"]}


class RecordingBot:
    """Slow enough that concurrent requests pile up while a batch runs; records every batch."""

    name = "recording"

    def __init__(self, fail_on: str | None = None):
        self.batches: list[list[str]] = []
        self.fail_on = fail_on

    def fingerprint(self) -> str:
        return "recording"

    def reply_batch(self, cases):
        self.batches.append([c.context[-1].text for c in cases])
        if any(c.context[-1].text == self.fail_on for c in cases):
            raise RuntimeError("bot bug")
        time.sleep(0.05)
        return [Reply(text=c.context[-1].text[::-1], tokens_in=3, tokens_out=2) for c in cases]


def chat(text: str, **extra) -> dict:
    return {"model": "any", "messages": [{"role": "system", "content": "be nice"},
                                         {"role": "user", "content": text}], **extra}


def test_fault_rates_are_validated_and_drawn_at_their_rates():
    with pytest.raises(InvalidData, match="sum to at most 1"):
        Faults(error_500=0.6, timeout=0.6)
    with pytest.raises(InvalidData, match="unknown fault settings"):
        faults_from({"error_503": 0.1})
    faults = Faults(error_500=0.2, error_429=0.1, malformed=0.05)
    rng = random.Random(1)
    draws = [faults.draw(rng) for _ in range(20_000)]
    assert draws.count("error_500") / len(draws) == pytest.approx(0.2, abs=0.015)
    assert draws.count("error_429") / len(draws) == pytest.approx(0.1, abs=0.015)
    assert draws.count(None) / len(draws) == pytest.approx(0.65, abs=0.015)
    assert "timeout" not in draws


def test_messages_become_a_case():
    case = to_case([{"role": "system", "content": "You are a support bot."},
                    {"role": "user", "content": "my card is blocked"},
                    {"role": "assistant", "content": [{"type": "text", "text": "Sorry to hear that."}]},
                    {"role": "system", "content": "transferred to billing"},
                    {"role": "user", "content": "still blocked"}], "chat-7:4")
    assert [(t.role, t.text) for t in case.context] == [
        ("customer", "my card is blocked"), ("agent", "Sorry to hear that."),
        ("system", "transferred to billing"), ("customer", "still blocked")]
    assert (case.id, case.transcript_id, case.turn_index) == ("chat-7:4", "chat-7", 4)
    with pytest.raises(ValueError, match="unknown role"):
        to_case([{"role": "robot", "content": "x"}], "r:0")
    with pytest.raises(ValueError, match="non-empty list"):
        to_case([], "r:0")


def test_endpoints_answer_like_an_openai_server():
    bot = CallableBot(f"{MODULE}:echo", name="echo")
    with running(create_app(bot)) as url, httpx.Client(base_url=url) as client:
        assert client.get(f"{url.removesuffix('/v1')}/health").json()["status"] == "ok"
        assert client.get("/models").json()["data"][0]["id"] == "echo"
        body = client.post("/chat/completions", json=chat("hello")).json()
        assert body["choices"][0]["message"] == {"role": "assistant", "content": "echo: hello"}
        assert body["choices"][0]["finish_reason"] == "stop"
        handoff = client.post("/chat/completions", json=chat("get me a human")).json()["choices"][0]
        assert handoff["finish_reason"] == "tool_calls"
        assert handoff["message"]["tool_calls"][0]["function"]["name"] == "handoff_to_human"
        bad = client.post("/chat/completions", json={"model": "any", "messages": "hi"})
        assert bad.status_code == 400 and "'messages' must be a non-empty list" in bad.json()["error"]["message"]
        assert client.post("/chat/completions", json=chat("x", stream=True)).status_code == 400


def test_concurrent_requests_are_micro_batched_and_a_bot_bug_is_a_500():
    bot = RecordingBot(fail_on="bug")
    app = create_app(bot, max_batch=8)
    with running(app) as url:
        client = OpenAIChatBot(url, "recording", max_in_flight=20, max_retries=0)
        cases = [Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1, context=(Turn("customer", f"m{i}"),),
                      reference=Turn("agent", "")) for i in range(20)]
        replies = client.reply_batch(cases)
        assert [r.text for r in replies] == [f"m{i}"[::-1] for i in range(20)]
        assert (replies[0].tokens_in, replies[0].tokens_out) == (3, 2)
        sizes = [len(b) for b in bot.batches]
        assert sum(sizes) == 20 and max(sizes) > 1 and max(sizes) <= 8
        (failed,) = client.reply_batch([Case(id="b:1", transcript_id="b", turn_index=1,
                                             context=(Turn("customer", "bug"),), reference=Turn("agent", ""))])
        assert failed.error.startswith("HTTP 500 after 1 attempt: bot 'recording' raised RuntimeError: bot bug")
        assert client.reply_batch(cases[:1])[0].text == "0m"  # still serving
    assert app.state.counts["bot_error"] == 1


def test_retrieval_over_http_answers_exactly_as_in_process():
    """The case id travels in a header, so the served index still leaves the evaluated conversation out."""
    transcripts = TableLoader(str(DEMO / "transcripts.jsonl"), name="demo").load().transcripts
    cases = list(expand(transcripts, "final"))[:40]
    local, served = RetrievalBot(), RetrievalBot()
    local.fit(transcripts)
    served.fit(transcripts)
    with running(create_app(served)) as url:
        over_http = OpenAIChatBot(url, "retrieval", max_in_flight=8).reply_batch(cases)
        leaky = OpenAIChatBot(url, "retrieval", max_in_flight=8, send_case_id=False).reply_batch(cases)
    assert [r.text for r in over_http] == [r.text for r in local.reply_batch(cases)]
    # Without the case id the index may answer from the conversation itself: the human's own reply.
    assert sum(r.text == c.reference.text for r, c in zip(leaky, cases, strict=True)) > \
        sum(r.text == c.reference.text for r, c in zip(over_http, cases, strict=True))


def test_serve_config_picks_and_fits_the_bot_to_serve():
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        retrieval = served_bot(compose("serve", overrides=["bots=[human,retrieval]", "bot=retrieval"]))
        with pytest.raises(InvalidData, match=r"bot=<name> \(composed: human, retrieval\)"):
            served_bot(compose("serve", overrides=["bots=[human,retrieval]"]))
        faults = compose("serve", overrides=["faults.error_500=0.25"]).faults
    assert isinstance(retrieval, RetrievalBot)
    assert retrieval.reply_batch(list(expand(TableLoader(str(DEMO / "transcripts.jsonl"), name="demo").load()
                                             .transcripts, "final"))[:2])[0].ok  # fitted on the dataset
    assert faults_from(dict(faults)) == Faults(error_500=0.25)
