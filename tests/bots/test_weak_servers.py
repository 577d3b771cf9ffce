"""What real OpenAI-compatible servers serving weak models do to a client: cut replies at max_tokens, answer one
request at a time, ignore or refuse tools. Each server here is a real one on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.responses import JSONResponse

from evalkit.bots.faults import Faults
from evalkit.bots.http import OpenAIChatBot
from evalkit.bots.python_callable import CallableBot
from evalkit.bots.serving import create_app, running
from evalkit.errors import InvalidData
from evalkit.judges.criterion import CriterionJudge
from evalkit.reply import Reply
from tests.bots.servers import one_at_a_time
from tests.bots.test_http_bot import Scripted, ask, case, completion
from tests.data import PROJECT_ROOT


def finished(content: str, reason: str | None) -> dict:
    body = completion(content)
    if reason is not None:
        body["choices"][0]["finish_reason"] = reason
    return body


@pytest.mark.parametrize(("reason", "truncated"), [("length", True), ("stop", False), (None, None)])
def test_finish_reason_length_flags_the_reply_as_truncated(reason, truncated):
    fake = Scripted(JSONResponse(finished("Your card will arrive in", reason)))
    (reply,), _ = ask(fake.app)
    assert reply.ok and reply.text == "Your card will arrive in" and reply.truncated is truncated


def test_offering_the_handoff_tool_sends_tool_choice_auto():
    fake = Scripted(JSONResponse(completion(None, tool="handoff_to_human")))
    (reply,), _ = ask(fake.app, offer_handoff_tool=True)
    sent = fake.requests[0][2]
    assert sent["tool_choice"] == "auto" and sent["tools"][0]["function"]["name"] == "handoff_to_human"
    assert reply.handoff is True
    ask(fake.app)
    assert "tool_choice" not in fake.requests[1][2] and "tools" not in fake.requests[1][2]


@pytest.mark.parametrize("message", [
    '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',  # vLLM
    "registry.ollama.ai/library/gemma:2b does not support tools",  # Ollama
])
def test_a_400_for_tools_is_one_configuration_error_that_stops_sending(message):
    fake = Scripted(JSONResponse({"error": {"message": message, "type": "BadRequestError"}}, status_code=400))
    cases = [case(f"q{i}", i) for i in range(40)]
    with pytest.raises(InvalidData) as raised:
        ask(fake.app, cases, offer_handoff_tool=True, max_in_flight=4)
    said = str(raised.value)
    assert "\n" not in said and said.startswith("bot 'http': ") and message in said
    assert "offer_handoff_tool=false" in said
    assert len(fake.requests) <= 4  # the requests already in flight; none after the refusal


def test_a_400_about_something_else_stays_an_error_record():
    fake = Scripted(JSONResponse({"error": {"message": "max_tokens is too large"}}, status_code=400))
    (reply,), _ = ask(fake.app, offer_handoff_tool=True)
    assert reply.error == "HTTP 400 after 1 attempt: max_tokens is too large"


def test_a_one_at_a_time_server_gets_fewer_requests_in_flight_not_timeouts():
    """16 in flight against a server answering one request per 0.1 s: a request waits 1.6 s behind the others and
    times out at 1 s. Timeouts lower the limit as 429s do, so every case is answered; without that, most fail."""
    cases = [case(f"q{i}", i) for i in range(24)]
    with one_at_a_time(0.1, lambda body: "ok") as (url, _):
        bot = OpenAIChatBot(url, "m", timeout_s=1.0, max_retries=3, backoff_base_s=0.1, max_in_flight=16)
        replies = bot.reply_batch(cases)
    assert all(r.ok for r in replies), [r.error for r in replies if not r.ok][:3]
    assert bot.concurrency.lowest <= 4 and bot.concurrency.decreases >= 2
    # The wait is reported in two parts: on the server (under the timeout) and queued in the client.
    assert all(r.latency_s < 1.0 and r.queue_s is not None for r in replies)
    assert sum(r.queue_s for r in replies) > sum(r.latency_s for r in replies)


def test_a_judge_on_a_one_at_a_time_server_adapts_and_reports_its_queueing():
    """The judge defaults (16 in flight) against a slow single-slot server: every verdict arrives, and the judge's
    usage says how much of the time was queueing."""
    verdict = json.dumps({"score": 4, "rationale": "answers the question"})
    cases = [case(f"q{i}", i) for i in range(20)]
    with one_at_a_time(0.1, lambda body: verdict) as (url, _):
        backend = OpenAIChatBot(url, "judge-model", name="judge", timeout_s=1.0, backoff_base_s=0.1)
        judge = CriterionJudge(backend, "helpfulness")
        scores = judge.score(cases, [Reply("It ships tomorrow.")] * len(cases))
    assert [s.value for s in scores] == [4.0] * len(cases)
    usage = judge.judge_usage()
    assert usage.errors == 0 and usage.calls >= len(cases)
    assert usage.queue_s > 0 and 0 < usage.latency_s / usage.calls < 1.0  # queued in the client, not timed out
    assert backend.concurrency.lowest < backend.max_in_flight == 16


def test_evalkit_serve_passes_a_cut_reply_on_as_finish_reason_length():
    """A bot served by `evalkit serve` in front of another server keeps the flag, as vLLM would send it."""
    fake = Scripted(JSONResponse(finished("Your card will arrive in", "length")))
    with running(fake.app) as upstream:
        (reply,), _ = ask(create_app(OpenAIChatBot(upstream, "smol", max_retries=0)))
    assert reply.ok and reply.truncated is True


@pytest.mark.slow
def test_a_run_offering_tools_to_a_server_refusing_them_exits_with_one_line(tmp_path: Path):
    refusing = Scripted(JSONResponse({"error": {"message": "llama3.2:1b does not support tools"}}, status_code=400))
    with running(refusing.app) as url:
        out = subprocess.run(
            [sys.executable, "-m", "evalkit", "run", "tracker=none", "bots=[http]", f"bots.http.base_url={url}",
             "bots.http.model=llama3.2:1b", "bots.http.offer_handoff_tool=true", "scorers=[chrf]", "cache=off",
             f"hydra.run.dir={tmp_path}"],
            cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True, text=True,
            timeout=300)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == [
        f"evalkit: error: bot 'http': {url} refused the handoff tool (HTTP 400: llama3.2:1b does not support "
        "tools); its server or model does not support tools: set offer_handoff_tool=false, or serve a model with "
        "tool support"]
    assert len(refusing.requests) <= 16  # the requests in flight when the first answer came, no more
    assert not (tmp_path / "summary.json").exists()
    assert {json.loads(line)["bot"] for line in (tmp_path / "results.jsonl").read_text().splitlines()} == {"human"}


def test_successes_slower_than_half_the_timeout_keep_the_lowered_limit():
    app = create_app(CallableBot(f"{__name__}:echo"), Faults(latency_ms=600))
    with running(app) as url:
        slow = OpenAIChatBot(url, "m", timeout_s=1.0, max_in_flight=16)
        slow.concurrency.on_throttle(0)  # lowered to 8 by an earlier burst
        assert all(r.ok for r in slow.reply_batch([case(f"q{i}", i) for i in range(16)]))
        assert slow.concurrency.limit == 8
        quick = OpenAIChatBot(url, "m", timeout_s=5.0, max_in_flight=16)
        quick.concurrency.on_throttle(0)
        assert all(r.ok for r in quick.reply_batch([case(f"q{i}", i) for i in range(16)]))
        assert quick.concurrency.limit == 16  # 0.6 s is well inside 5 s: it grows back


def echo(context):
    return f"echo: {context[-1]['text']}"
