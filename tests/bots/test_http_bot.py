import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hydra import compose, initialize_config_dir
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from evalkit.bots.faults import Faults
from evalkit.bots.http import OpenAIChatBot
from evalkit.bots.openai_wire import BadCompletion, parse_completion
from evalkit.bots.python_callable import CallableBot
from evalkit.bots.serving import create_app, running
from evalkit.cli.config import CONFIG_DIR, build
from evalkit.contract import Bot
from evalkit.errors import InvalidData
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import evaluate
from evalkit.replay import Case, expand
from evalkit.results import ResultsLog
from evalkit.transcript import Turn
from tests.data import DEMO, PROJECT_ROOT

MODULE = __name__
SECRET = "sk-evalkit-test-7c1f0e2a9b"


def echo(context):
    return f"echo: {context[-1]['text']}"


def case(text: str = "where is my card?", index: int = 0) -> Case:
    return Case(id=f"chat-{index}:2", transcript_id=f"chat-{index}", turn_index=2,
                context=(Turn("customer", "hi"), Turn("agent", "Hello, how can I help?"),
                         Turn("system", "customer verified"), Turn("customer", text)),
                reference=Turn("agent", "It ships tomorrow."))


def completion(content=None, tool=None, usage=None) -> dict:
    message = {"role": "assistant", "content": content}
    if tool:
        message["tool_calls"] = [{"id": "c1", "type": "function", "function": {"name": tool, "arguments": "{}"}}]
    body = {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": message}]}
    return {**body, "usage": usage} if usage else body


class Scripted:
    """A fake endpoint answering from a script, one response per request; records what it was sent and when."""

    def __init__(self, *responses: Response):
        self.responses = list(responses)
        self.requests: list[tuple[float, dict, dict]] = []
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> Response:
        self.requests.append((time.monotonic(), dict(request.headers), await request.json()))
        return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]


def ask(app, cases=None, **options):
    with running(app) as url:
        bot = OpenAIChatBot(url, "test-model", **{"backoff_base_s": 0.001, "timeout_s": 2, **options})
        return bot.reply_batch(cases or [case()]), bot


def test_payload_maps_roles_and_carries_generation_params():
    bot = OpenAIChatBot("http://h/v1/", "m", system_prompt="Be brief.", temperature=0.3, max_tokens=64, seed=7,
                        extra_body={"top_p": 0.9}, offer_handoff_tool=True)
    assert isinstance(bot, Bot)
    body = bot.payload(case())
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello, how can I help?"},
        {"role": "user", "content": "[system] customer verified"}, {"role": "user", "content": "where is my card?"}]
    assert (body["model"], body["temperature"], body["max_tokens"], body["seed"], body["top_p"]) == \
        ("m", 0.3, 64, 7, 0.9)
    assert body["tools"][0]["function"]["name"] == "handoff_to_human"
    native = OpenAIChatBot("http://h/v1", "m", roles={"system": "system"}).payload(case())
    assert {"role": "system", "content": "customer verified"} in native["messages"]
    assert "seed" not in native and "tools" not in native


def test_fingerprint_covers_endpoint_model_and_params_but_not_the_key(monkeypatch):
    base = OpenAIChatBot("http://h/v1", "m", api_key_env="EVALKIT_TEST_KEY")
    monkeypatch.setenv("EVALKIT_TEST_KEY", SECRET)
    assert base.fingerprint() == OpenAIChatBot("http://h/v1", "m", api_key_env="OTHER").fingerprint()
    assert base.fingerprint() != OpenAIChatBot("http://h/v1", "m2").fingerprint()
    assert base.fingerprint() != OpenAIChatBot("http://other/v1", "m").fingerprint()
    assert base.fingerprint() != OpenAIChatBot("http://h/v1", "m", temperature=0.7).fingerprint()
    base.reply_batch([])
    assert SECRET not in repr(base) and SECRET not in repr(vars(base)) and SECRET not in base.fingerprint()


def test_key_is_sent_as_bearer_and_a_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("EVALKIT_TEST_KEY", SECRET)
    fake = Scripted(JSONResponse(completion("ok")))
    (reply,), bot = ask(fake.app, api_key_env="EVALKIT_TEST_KEY")
    assert reply.text == "ok" and fake.requests[0][1]["authorization"] == f"Bearer {SECRET}"
    assert fake.requests[0][1]["x-evalkit-case-id"] == "chat-0:2"
    assert SECRET not in repr(vars(bot))
    monkeypatch.delenv("EVALKIT_TEST_KEY")
    with pytest.raises(InvalidData, match="EVALKIT_TEST_KEY"):
        bot.reply_batch([case()])


def test_usage_latency_and_cost_are_recorded():
    fake = Scripted(JSONResponse(completion("ok", usage={"prompt_tokens": 1200, "completion_tokens": 300})))
    (reply,), _ = ask(fake.app, price_per_1k_in=0.5, price_per_1k_out=2.0)
    assert (reply.tokens_in, reply.tokens_out, reply.attempts) == (1200, 300, 1)
    assert reply.cost == pytest.approx(1.2 * 0.5 + 0.3 * 2.0)
    assert reply.latency_s > 0


def test_handoff_by_tool_call_by_marker_or_not_at_all():
    tool = Scripted(JSONResponse(completion(None, tool="handoff_to_human")))
    marker = Scripted(JSONResponse(completion("I'll pass you to a colleague. [HANDOFF]")))
    plain = Scripted(JSONResponse(completion("Your card ships tomorrow.", tool="lookup_order")))
    assert ask(tool.app)[0][0].handoff is True
    (marked,), _ = ask(marker.app, handoff_marker="[HANDOFF]")
    assert (marked.handoff, marked.text) == (True, "I'll pass you to a colleague.")
    assert ask(plain.app, handoff_marker="[HANDOFF]")[0][0].handoff is False


def test_retry_after_is_honoured():
    fake = Scripted(JSONResponse({"error": {"message": "slow down"}}, status_code=429, headers={"Retry-After": "1"}),
                    JSONResponse(completion("ok")))
    (reply,), _ = ask(fake.app)
    assert (reply.text, reply.attempts) == ("ok", 2)
    assert fake.requests[1][0] - fake.requests[0][0] >= 0.95  # not the 1 ms backoff it would otherwise use


def test_server_errors_are_retried_then_recorded_with_attempts_and_client_errors_are_not():
    failing = Scripted(JSONResponse({"error": {"message": "model overloaded"}}, status_code=503))
    (reply,), _ = ask(failing.app, max_retries=3)
    assert reply.error == "HTTP 503 after 4 attempts: model overloaded" and reply.attempts == 4
    assert len(failing.requests) == 4
    rejected = Scripted(JSONResponse({"error": {"message": "unknown model"}}, status_code=404))
    (reply,), _ = ask(rejected.app, max_retries=3)
    assert reply.error == "HTTP 404 after 1 attempt: unknown model" and len(rejected.requests) == 1


def test_unreachable_server_is_an_error_record():
    bot = OpenAIChatBot("http://127.0.0.1:9/v1", "m", max_retries=1, backoff_base_s=0.001, timeout_s=1)
    (reply,) = bot.reply_batch([case()])
    assert reply.error.startswith("ConnectError after 2 attempts") and reply.attempts == 2


@pytest.mark.parametrize(("fault", "says"), [("malformed", "malformed response body after 2 attempts: not JSON"),
                                             ("empty_choices", "empty choice list after 2 attempts")])
def test_malformed_body_or_empty_choice_list_is_an_error_record_that_says_so(fault, says):
    app = create_app(CallableBot(f"{MODULE}:echo"), Faults(**{fault: 1.0}))
    (reply,), _ = ask(app, max_retries=1)
    assert reply.error.startswith(says) and reply.attempts == 2


@pytest.mark.parametrize("body", [b"[]", b'{"choices": [{"index": 0}]}', b'{"choices": [{"message": {}}]}',
                                  b'{"choices": "none"}'])
def test_bodies_without_a_reply_are_malformed(body):
    with pytest.raises(BadCompletion, match="malformed response body"):
        parse_completion(body, "handoff_to_human", None)


def test_a_timeout_is_retried_and_recorded():
    app = create_app(CallableBot(f"{MODULE}:echo"), Faults(timeout=1.0, hang_s=5))
    (reply,), _ = ask(app, max_retries=1, timeout_s=0.2)
    assert reply.error == "timeout after 2 attempts: no complete answer within 0.2 s"


def test_a_429_storm_lowers_concurrency_and_a_healthy_server_does_not():
    cases = [case(f"q{i}", i) for i in range(64)]
    storm = create_app(CallableBot(f"{MODULE}:echo"), Faults(error_429=0.5, retry_after_s=0, latency_ms=5))
    replies, bot = ask(storm, cases, max_in_flight=16, max_retries=30)
    assert all(r.ok for r in replies)
    assert bot.concurrency.decreases >= 2 and bot.concurrency.lowest <= 8  # halved at least once from 16
    calm = create_app(CallableBot(f"{MODULE}:echo"), Faults(latency_ms=5))
    replies, bot = ask(calm, cases, max_in_flight=16)
    assert all(r.ok for r in replies) and (bot.concurrency.decreases, bot.concurrency.lowest) == (0, 16)


@pytest.mark.slow
def test_evaluation_over_a_faulty_evalkit_serve_loses_no_case_and_leaks_no_key(tmp_path, monkeypatch):
    """`evalkit serve` (retrieval, 30 % faults) → the `run` config with the HTTP bot → the real MLflow tracker."""
    monkeypatch.setenv("EVALKIT_TEST_KEY", SECRET)
    faults = {"error_500": 0.1, "error_429": 0.08, "timeout": 0.04, "malformed": 0.04, "empty_choices": 0.04,
              "retry_after_s": 0, "hang_s": 5}
    server = subprocess.Popen(
        [sys.executable, "-m", "evalkit", "serve", "bots=[retrieval]", "port=0", f"hydra.run.dir={tmp_path}/serve",
         *(f"faults.{k}={v}" for k, v in faults.items())],
        cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        transcripts = tmp_path / "transcripts.jsonl"  # 100 demo conversations, one case each: enough, and quick
        transcripts.write_text("".join((DEMO / "transcripts.jsonl").read_text().splitlines(keepends=True)[:100]))
        line = server.stdout.readline()
        assert "listening on" in line, line + server.stdout.read()
        url = line.split("listening on ")[1].strip()
        store, run_dir = tmp_path / "store", tmp_path / "run"
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            cfg = compose("run", overrides=[
                "dataset=jsonl", f"dataset.path={transcripts}", "replay.policy=final", "scorers=[chrf]",
                "bots=[http]", f"bots.http.base_url={url}", "bots.http.model=retrieval",
                "bots.http.api_key_env=EVALKIT_TEST_KEY", "bots.http.max_retries=1", "bots.http.timeout_s=0.5",
                "bots.http.backoff_base_s=0.01", "bots.http.max_in_flight=64", "batch_size=100",
                f"tracker.store_dir={store}",
                "cache.enabled=false"])  # every case must reach the server: the count of requests is checked
        outcome = evaluate(build(cfg), run_dir)
        records = [r for r in ResultsLog(run_dir / "results.jsonl") if r.bot == "http"]
        counts = _server_counts_once_settled(url, sum(r.reply.attempts for r in records))
    finally:
        server.terminate()
        server.wait(timeout=10)

    assert outcome.summary.cases == 100
    case_ids = [c.id for c in expand(TableLoader(str(transcripts)).load().transcripts, "final")]
    assert len(case_ids) == 100
    assert sorted(r.case_id for r in records) == sorted(case_ids)  # none lost, none twice
    answered = [r for r in records if r.reply.ok]
    failed = [r for r in records if not r.reply.ok]
    assert answered and failed  # 30 % faults and a single retry leave about 9 % failed
    assert all(r.reply.text and r.scores.get("chrf") is not None for r in answered)
    assert all(r.reply.attempts == 2 and "after 2 attempts" in r.reply.error for r in failed)
    # Every request the server saw is an attempt that some record counts, and the faults did happen.
    assert counts["requests"] == sum(r.reply.attempts for r in records)
    assert all(counts.get(kind, 0) > 0 for kind in ("error_500", "error_429", "timeout"))
    assert outcome.run_id is not None

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "mlflow.db" for p in files) and any(p.name == "per_turn.json" for p in files)
    leaks = [p for p in files if SECRET.encode() in p.read_bytes()]
    assert not leaks, f"the API key leaked into {leaks}"


def _server_counts_once_settled(url: str, expected_requests: int) -> dict:
    """Requests the client gave up on may still be on their way into the server: wait until it has seen them all."""
    deadline = time.monotonic() + 10
    while True:
        counts = httpx.get(f"{url.removesuffix('/v1')}/health", timeout=5).json()["counts"]
        if counts.get("requests") == expected_requests or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def test_config_files_build_the_http_and_callable_bots():
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=["bots=[http,callable]", "bots.http.model=m",
                                        f"bots.callable.target={MODULE}:echo", "+bots.http.extra_body.top_p=0.5"])
    http, callable_bot = build(cfg).bots
    assert isinstance(http, OpenAIChatBot) and type(http.extra_body) is dict
    assert json.dumps(http.payload(case()))  # plain containers: the payload serialises
    assert callable_bot.reply_batch([case("x")])[0].text == "echo: x"
    assert Path(CONFIG_DIR / "bots" / "http.yaml").read_text().count("_target_: evalkit.") == 1


def test_a_key_echoed_by_the_server_is_stored_nowhere(tmp_path, monkeypatch):
    """An endpoint whose error quotes the request's Authorization header: the key is in no error record, no
    results log, no report and no MLflow artifact."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from evalkit.loaders.table import TableLoader
    from evalkit.pipeline.evaluate import Evaluation, evaluate
    from evalkit.scorers.overlap import TokenF1
    from evalkit.summaries.run import StatsSettings
    from evalkit.tracking.runs import MlflowTracker
    from tests.data import write_transcripts

    async def echo_key(request: Request) -> JSONResponse:
        key = request.headers.get("authorization", "").removeprefix("Bearer ")  # quoted bare: no pattern finds it
        return JSONResponse({"error": {"message": f"invalid credentials: {key}"}}, status_code=401)

    key = "not-a-real-key-but-long-enough-4711"  # named so no credential pattern would catch it on its own
    monkeypatch.setenv("ENDPOINT_CREDENTIAL_X", key)
    with running(Starlette(routes=[Route("/v1/chat/completions", echo_key, methods=["POST"])])) as base_url:
        bot = OpenAIChatBot(base_url=base_url, model="m", api_key_env="ENDPOINT_CREDENTIAL_X", max_retries=0)
        outcome = evaluate(Evaluation(dataset=TableLoader(str(write_transcripts(tmp_path / "t.jsonl"))), bots=[bot],
                                      scorers=[TokenF1()], slices=(), stats=StatsSettings(n_resamples=20),
                                      tracker=MlflowTracker(store_dir=str(tmp_path / "store"))), tmp_path / "run")
    assert outcome.summary.bots[-1].n_errors == 6
    errors = [line for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines() if "invalid" in line]
    assert errors and all("<SECRET>" in line for line in errors)
    stored = [p for root in (tmp_path / "run", tmp_path / "store") for p in root.rglob("*") if p.is_file()]
    assert [p for p in stored if key.encode() in p.read_bytes()] == []
