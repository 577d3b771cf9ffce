import copy
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hydra import compose, initialize_config_dir

from evalkit.bots.faults import Faults, faults_from
from evalkit.bots.http import OpenAIChatBot
from evalkit.bots.openai_wire import to_case
from evalkit.bots.python_callable import CallableBot
from evalkit.bots.retrieval import RetrievalBot
from evalkit.bots.serve_guard import check_host, check_token, is_loopback
from evalkit.bots.serving import create_app, running
from evalkit.cli.config import CONFIG_DIR
from evalkit.cli.serve import serve_token, served_bot
from evalkit.errors import InvalidData
from evalkit.loaders.table import TableLoader
from evalkit.replay import Case, expand
from evalkit.reply import Reply
from evalkit.testing import EchoBot
from evalkit.transcript import Turn
from tests.data import DEMO

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789abcdef"
JSON = {"content-type": "application/json"}

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
    with pytest.raises(ValueError, match=r"messages\[0\].content must be a string, a list of content parts or null"):
        to_case([{"role": "user", "content": 5}], "r:0")
    # Text-less messages are skipped: an empty context is a case whose agent speaks first, not a bad request.
    assert to_case([{"role": "system", "content": "be nice"}, {"role": "user", "content": None}], "r:x").context == ()
    assert to_case([{"role": "user", "content": "x"}], "t:²").turn_index == 1  # "²".isdigit(), yet no int


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
        defaults = compose("serve")
    assert (defaults.host, defaults.token_env, defaults.max_body_bytes) == ("127.0.0.1", None, 1024 * 1024)
    assert isinstance(retrieval, RetrievalBot)
    assert retrieval.reply_batch(list(expand(TableLoader(str(DEMO / "transcripts.jsonl"), name="demo").load()
                                             .transcripts, "final"))[:2])[0].ok  # fitted on the dataset
    assert faults_from(dict(faults)) == Faults(error_500=0.25)


# --- the guarded server: malformed requests, body limit, token, host, tallies ------------------------------------


@pytest.fixture(scope="module")
def served():
    """One server for the request-level tests; EchoBot answers any context, even an empty one, so every 500 here
    would be the server's."""
    app = create_app(EchoBot(fail_on=""), max_body_bytes=64 * 1024)
    with running(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


def post(client: httpx.Client, body: bytes | str, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post("/chat/completions", content=body, headers=JSON if headers is None else headers)


def user(content, **extra) -> bytes:
    return json.dumps({"model": "m", "messages": [{"role": "user", "content": content}], **extra}).encode()


# The four kinds of request that were a plain-text 500 ("Internal Server Error") before the server was guarded.
FORMER_500S = {
    "unhashable role": (json.dumps({"messages": [{"role": ["user"], "content": "x"}]}), "unknown role ['user']"),
    "non-string text part": (user([{"type": "text", "text": None}]), "messages[0].content[0].text must be a string"),
    "lone surrogate escape": (b'{"messages": [{"role": "user", "content": "\\ud800"}]}',
                              "messages[0].content is not valid Unicode: a lone surrogate"),
    "nested too deeply": (b'{"messages": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", "nested too deeply"),
}


@pytest.mark.parametrize("kind", FORMER_500S)
def test_requests_that_were_500s_are_400s_with_a_reason(served, kind):
    body, reason = FORMER_500S[kind]
    answer = post(served, body)
    assert answer.status_code == 400, answer.text
    assert reason in answer.json()["error"]["message"]
    assert answer.json()["error"]["type"] == "bad_request"


MALFORMED = {
    "not JSON": (b"{nope", "the body is not JSON: Expecting property name"),
    "empty body": (b"", "the body is not JSON: Expecting value"),
    "invalid UTF-8": (b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}', "not valid UTF-8 (byte 43)"),
    "UTF-16": ('{"messages": []}'.encode("utf-16"), "not valid UTF-8"),
    "NaN": (user("x", temperature=float("nan")), "NaN is not a JSON value"),
    "huge integer": (b'{"n": ' + b"1" * 5000 + b', "messages": []}', "the body is not JSON"),
    "an array": (b"[]", "the body must be a JSON object, not an array"),
    "a string": (b'"hi"', "the body must be a JSON object, not a string"),
    "null": (b"null", "the body must be a JSON object, not null"),
    "no messages": (b'{"model": "m"}', "'messages' is required"),
    "messages a string": (b'{"messages": "hi"}', "'messages' must be a non-empty list"),
    "messages empty": (b'{"messages": []}', "'messages' must be a non-empty list"),
    "message not an object": (b'{"messages": ["hi"]}', "messages[0] must be an object, not a string"),
    "unknown role": (b'{"messages": [{"role": "robot", "content": "x"}]}', "messages[0].role: unknown role 'robot'"),
    "no role": (b'{"messages": [{"content": "x"}]}', "messages[0].role: unknown role None"),
    "content a number": (user(5), "messages[0].content must be a string, a list of content parts or null"),
    "content an object": (user({"text": "x"}), "messages[0].content must be a string, a list of content parts"),
    "content part not an object": (user(["x"]), "messages[0].content[0] must be a content part"),
    "content part without type": (user([{"text": "x"}]), "messages[0].content[0] must be a content part"),
    "stream true": (user("x", stream=True), "streaming is not supported"),
    "stream not a boolean": (user("x", stream="no"), "'stream' must be a boolean, not a string"),
    "model not a string": (user("x", model=["gpt"]), "'model' must be a string, not an array"),
    "model a lone surrogate": (b'{"model": "\\udfff", "messages": [{"role": "user", "content": "x"}]}',
                               "'model' is not valid Unicode"),
}


@pytest.mark.parametrize("kind", MALFORMED)
def test_each_malformed_request_is_a_400_with_a_reason(served, kind):
    body, reason = MALFORMED[kind]
    answer = post(served, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["message"].startswith("bad request: ")
    assert reason in answer.json()["error"]["message"]


def test_the_body_must_say_it_is_json(served):
    """415, not 400: and a web page cannot post application/json cross-site without a preflight."""
    client = served
    for headers in ({}, {"content-type": "text/plain"}, {"content-type": "application/x-www-form-urlencoded"}):
        answer = post(client, user("x"), headers)
        assert answer.status_code == 415
        assert "Content-Type must be application/json" in answer.json()["error"]["message"]
    assert post(client, user("x"), {"content-type": "Application/JSON; charset=utf-8"}).status_code == 200
    preflight = client.options("/chat/completions", headers={"Origin": "https://evil.example",
                                                             "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 405 and "access-control-allow-origin" not in preflight.headers


def test_unknown_paths_and_methods_are_json_errors(served):
    client = served
    missing = client.get("/nope")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"
    wrong = client.get("/chat/completions")
    assert wrong.status_code == 405 and wrong.json()["error"]["type"] == "method_not_allowed"


def test_a_seeded_fuzz_of_malformed_requests_never_gets_a_500(served):
    client = served
    rng = random.Random(20240607)
    valid = {"model": "m", "temperature": 0.2, "stream": False,
             "messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "my card"},
                          {"role": "assistant", "content": [{"type": "text", "text": "sorry"}]}]}
    oddities = [None, True, 0, -1.5, 10**30, "", "\ud800", "x" * 300, [], {}, [[[]]], {"role": "user"},
                [{"type": "text"}], [{"type": "image_url", "image_url": {"url": "x"}}], [None], "²", "user"]
    wrong_types = ["text/plain", "", "application/jso", "multipart/form-data; boundary=x", "application/json5"]

    def mutated_tree():
        body = json.loads(json.dumps(valid))
        for _ in range(rng.randint(1, 3)):
            node, key = body, None
            while True:  # walk down to a random node, then replace it
                keys = list(node) if isinstance(node, dict) else list(range(len(node)))
                key = rng.choice(keys)
                if not isinstance(node[key], dict | list) or not node[key] or rng.random() < 0.4:
                    break
                node = node[key]
            node[key] = copy.deepcopy(rng.choice(oddities))  # shared, a later walk could mutate it
        return json.dumps(body).encode()

    def mutated_bytes():
        raw = bytearray(json.dumps(valid).encode())
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(raw))
            action = rng.choice(["flip", "cut", "insert"])
            if action == "flip":
                raw[at] = rng.randrange(256)
            elif action == "cut":
                del raw[at:]
                if not raw:
                    break
            else:
                raw[at:at] = rng.choice([b"\xff", b"\\ud800", b"[", b"{", b'"', b"NaN", b"\x00", b",", b"}"])
        return bytes(raw)

    statuses = []
    for i in range(300):
        body = mutated_tree() if i % 2 else mutated_bytes()
        headers = {"content-type": rng.choice(wrong_types) if rng.random() < 0.1 else "application/json"}
        if rng.random() < 0.3:
            case_ids = ["t:1", "t:", ":", "t:99999999999999999999", "t:\xb2", "x" * 200]
            headers["X-Evalkit-Case-Id"] = rng.choice(case_ids).encode("latin-1")  # httpx sends str as ASCII only
        answer = post(client, body, headers)
        assert answer.status_code < 500, (body, headers, answer.text)
        if answer.status_code != 200:
            assert answer.json()["error"]["message"], answer.text
        statuses.append(answer.status_code)
    assert set(statuses) <= {200, 400, 415} and statuses.count(400) > 200  # mostly refused, some still valid


def test_oversize_bodies_get_413_before_they_are_read_whole():
    app = create_app(EchoBot(fail_on=""), max_body_bytes=4096)
    with running(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        at_limit = user("x").rstrip(b"}") + b" " * (4096 - len(user("x"))) + b"}"
        assert len(at_limit) == 4096 and post(client, at_limit).status_code == 200
        over = post(client, at_limit + b" ")
        assert over.status_code == 413 and over.json()["error"]["type"] == "too_large"
        assert "max_body_bytes=4096" in over.json()["error"]["message"]

        # Declared 200 MB, sent 1 KB: the answer comes from Content-Length alone, without waiting for the body.
        host, port = url.removeprefix("http://").removesuffix("/v1").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 200000000\r\n\r\n" + b"x" * 1024)
            answer = b""
            while b"}}" not in answer:
                chunk = sock.recv(4096)
                assert chunk, answer
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 413") and b"connection: close" in answer.lower()
        assert b"request body of 200000000 bytes" in answer

        # Chunked (no length declared): refused once the bytes read pass the limit; most of 200 MB is never sent.
        pulled = 0

        def body():
            nonlocal pulled
            for _ in range(3200):
                pulled += 1
                yield b"x" * 65536

        streamed = post(client, body())
        assert streamed.status_code == 413 and pulled < 320, pulled
        counts = client.get(f"{url.removesuffix('/v1')}/health").json()["counts"]
    assert counts["too_large"] == 3 and counts["ok"] == 1


def test_a_token_is_required_for_everything_but_health(monkeypatch):
    app = create_app(EchoBot(fail_on=""), token=TOKEN)
    assert app.state.requires_token and TOKEN not in repr(vars(app.state))
    with running(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        root = url.removesuffix("/v1")
        assert client.get(f"{root}/health").status_code == 200
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": "Bearer"}, {"Authorization": TOKEN}):
            refused = post(client, user("x"), {**JSON, **headers})
            assert refused.status_code == 401, headers
            assert refused.json()["error"]["type"] == "unauthorized"
            assert refused.headers["www-authenticate"] == "Bearer"
            assert TOKEN not in refused.text
        assert client.get("/models").status_code == 401
        assert client.get("/nope").status_code == 401  # routes are not revealed to a stranger either
        ok = post(client, user("x"), {**JSON, "Authorization": f"bearer {TOKEN}"})  # the scheme is case-insensitive
        assert ok.status_code == 200 and ok.json()["choices"][0]["message"]["content"] == "x"
        assert client.get("/models", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        # The HTTP bot sends its api_key_env as the bearer token: evalkit against a guarded evalkit serve.
        monkeypatch.setenv("EVALKIT_SERVE_TOKEN", TOKEN)
        case = Case(id="t:1", transcript_id="t", turn_index=1, context=(Turn("customer", "hello"),),
                    reference=Turn("agent", ""))
        assert OpenAIChatBot(url, "echo", api_key_env="EVALKIT_SERVE_TOKEN").reply_batch([case])[0].text == "olleh"
        counts = client.get(f"{root}/health").json()["counts"]
    assert counts["unauthorized"] == 7 and counts["ok"] == 2 and counts["models"] == 1


def test_tokens_come_from_the_environment_and_are_never_echoed(monkeypatch):
    assert serve_token(None) is None
    with pytest.raises(InvalidData, match="EVALKIT_SERVE_TOKEN is not set or empty"):
        serve_token("EVALKIT_SERVE_TOKEN")
    monkeypatch.setenv("EVALKIT_SERVE_TOKEN", TOKEN)
    assert serve_token("EVALKIT_SERVE_TOKEN") == TOKEN
    for weak, reason in [("short-token", "11 characters; use at least 16"),
                         ("has a space in it, long enough", "printable ASCII without spaces"),
                         ("tökén-0123456789abcdef", "printable ASCII without spaces")]:
        with pytest.raises(InvalidData, match=reason) as refused:
            check_token(weak)
        assert weak not in str(refused.value)


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("LOCALHOST", True), ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("128.0.0.1", False),
    ("example.com", False), ("", False)])
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def test_a_non_loopback_host_needs_a_token():
    with pytest.raises(InvalidData, match=r"host=0.0.0.0 is not a loopback address and no token is configured"):
        check_host("0.0.0.0", requires_token=False)
    check_host("0.0.0.0", requires_token=True)
    check_host("127.0.0.1", requires_token=False)
    with pytest.raises(InvalidData, match="not a loopback address"), running(create_app(EchoBot()), host="0.0.0.0"):
        pass  # refused before any socket is bound


def test_serving_on_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with running(create_app(EchoBot()), host="::1") as url:
        assert url.startswith("http://[::1]:") and httpx.get(f"{url}/models").status_code == 200


def _serve(*overrides: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "evalkit", "serve", "bots=[callable]", f"bots.callable.target={MODULE}:echo", "port=0",
         *overrides], cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_evalkit_serve_refuses_a_non_loopback_host_without_a_token_in_one_line(tmp_path):
    server = _serve("host=0.0.0.0", f"hydra.run.dir={tmp_path}")
    out, err = server.communicate(timeout=60)
    assert server.returncode == 2 and not out, out + err
    assert err.count("\n") == 1 and err.startswith("evalkit: error: host=0.0.0.0 is not a loopback address"), err


def test_evalkit_serve_on_all_interfaces_with_a_token(tmp_path):
    server = _serve("host=0.0.0.0", "token_env=EVALKIT_TEST_SERVE_TOKEN", f"hydra.run.dir={tmp_path}",
                    env={"EVALKIT_TEST_SERVE_TOKEN": TOKEN})
    try:
        line = server.stdout.readline()
        assert line.startswith("evalkit serve: listening on http://0.0.0.0:"), line + server.stderr.read()
        url = line.split("listening on ")[1].strip().replace("0.0.0.0", "127.0.0.1")
        assert httpx.post(f"{url}/chat/completions", json=chat("hi")).status_code == 401
        answer = httpx.post(f"{url}/chat/completions", json=chat("hi"), headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.json()["choices"][0]["message"]["content"] == "echo: hi"
    finally:
        server.terminate()
        out, err = server.communicate(timeout=10)
    assert TOKEN not in line + out + err  # nor in the logs


def test_health_tallies_every_request_and_each_outcome():
    bot = RecordingBot(fail_on="bug")
    app = create_app(bot, token=TOKEN, max_body_bytes=2048)
    auth = {**JSON, "Authorization": f"Bearer {TOKEN}"}
    with running(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        sent = [
            post(client, user("hello"), auth),                     # ok
            post(client, b"[]", auth),                             # bad_request
            post(client, user("hello"), {"content-type": "text/plain", "Authorization": f"Bearer {TOKEN}"}),
            post(client, user("hello")),                           # unauthorized
            post(client, user("x" * 4000), auth),                  # too_large
            post(client, user("bug"), auth),                       # bot_error
            client.get("/models", headers=auth),                   # models
            client.get("/nope", headers=auth),                     # not_found
            client.put("/chat/completions", headers=auth),         # method_not_allowed
        ]
        root = url.removesuffix("/v1")
        client.get(f"{root}/health")
        counts = client.get(f"{root}/health").json()["counts"]
    assert [r.status_code for r in sent] == [200, 400, 415, 401, 413, 500, 200, 404, 405]
    assert sent[5].json()["error"] == {"message": "bot 'recording' raised RuntimeError: bot bug", "type": "bot_error"}
    assert counts == {"requests": 9, "ok": 1, "bad_request": 2, "unauthorized": 1, "too_large": 1, "bot_error": 1,
                      "models": 1, "not_found": 1, "method_not_allowed": 1, "health": 2}  # this poll too
    outcomes = sum(n for kind, n in counts.items() if kind not in ("requests", "health"))
    assert outcomes == counts["requests"]  # each request ends in exactly one outcome


class SurrogateBot(RecordingBot):
    def reply_batch(self, cases):
        return [Reply(text="broken \udc80 text") for _ in cases]


def test_a_bot_reply_that_cannot_be_sent_is_a_json_500():
    with running(create_app(SurrogateBot())) as url:
        answer = httpx.post(f"{url}/chat/completions", json=chat("hello"))
    assert answer.status_code == 500 and answer.json()["error"]["type"] == "bot_error"
    assert "replied with text that cannot be sent" in answer.json()["error"]["message"]


def test_a_server_bug_and_a_client_that_hangs_up_are_tallied_too(monkeypatch):
    app = create_app(EchoBot(fail_on=""))
    with running(app) as url:
        host, port = url.removeprefix("http://").removesuffix("/v1").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:  # promises 100 bytes, sends 10, leaves
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n" + b"{" * 10)
        monkeypatch.setattr("evalkit.bots.serving.to_case", lambda *a: 1 / 0)
        bug = httpx.post(f"{url}/chat/completions", json=chat("hello"))
        deadline = time.monotonic() + 5
        while app.state.counts["disconnected"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert bug.status_code == 500
    assert bug.json()["error"] == {"message": "internal server error: ZeroDivisionError", "type": "server_error"}
    assert app.state.counts == {"requests": 2, "disconnected": 1, "server_error": 1}
