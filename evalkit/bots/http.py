"""A bot behind an OpenAI-compatible `/v1/chat/completions` endpoint: vLLM, TGI, Ollama, hosted APIs, `evalkit serve`.

Requests run concurrently (bounded, and lowered while the server answers 429 or lets requests time out), each with a
timeout, retried with backoff on 429/5xx/timeouts/connection errors/malformed bodies. A reply that still fails is an
error record saying what happened and after how many attempts; no case is ever dropped. A server that refuses the
handoff tool (HTTP 400 about tools) is a configuration error that stops the run: every case would fail alike.

The API key is read from the environment variable named in `api_key_env` at call time and lives only in the request
headers of that call's client: it is never an attribute, so it cannot reach the fingerprint, params, logs or reprs.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import httpx
from httpx_aiohttp import AiohttpTransport

from evalkit.bots.backoff import AimdLimit, ConcurrencyGate, retry_after_seconds, retry_delay
from evalkit.bots.fingerprint import fingerprint_of
from evalkit.bots.openai_wire import (
    CASE_ID_HEADER,
    DEFAULT_SYSTEM_TURN_PREFIX,
    BadCompletion,
    handoff_tool_spec,
    parse_completion,
    to_messages,
)
from evalkit.contract import Bot
from evalkit.errors import InvalidData
from evalkit.replay import Case
from evalkit.reply import Reply


@dataclass(frozen=True)
class _Attempt:
    reply: Reply | None = None
    kind: str = ""  # what failed: "HTTP 503", "timeout", "malformed response body", ...
    detail: str = ""
    retryable: bool = True
    retry_after_s: float | None = None
    congested: bool = False  # a 429 or a timeout: fewer requests in flight


class _ToolsRefused(Exception):
    """The server answered 400 to a request offering the handoff tool, saying it is about tools."""


class OpenAIChatBot(Bot):
    def __init__(
        self,
        base_url: str,  # up to and including /v1, as OpenAI clients take it: http://127.0.0.1:8000/v1
        model: str,
        name: str = "http",
        api_key_env: str | None = None,  # e.g. OPENAI_API_KEY; None for servers that want no key
        system_prompt: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 256,
        seed: int | None = None,
        extra_body: Mapping[str, Any] | None = None,  # merged into the payload: top_p, stop, vendor options
        roles: Mapping[str, str] | None = None,  # transcript role -> chat role (customer/agent/system)
        system_turn_prefix: str = DEFAULT_SYSTEM_TURN_PREFIX,
        max_in_flight: int = 16,
        timeout_s: float = 30.0,
        max_retries: int = 3,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 20.0,
        max_retry_after_s: float = 60.0,
        handoff_tool: str | None = "handoff_to_human",
        offer_handoff_tool: bool = False,  # declare the handoff tool in the request, so the model can call it
        handoff_marker: str | None = None,  # e.g. "[HANDOFF]": the reply text holding it is a handoff
        price_per_1k_in: float | None = None,
        price_per_1k_out: float | None = None,
        send_case_id: bool = True,
    ):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = name
        self.api_key_env = api_key_env
        self.system_prompt = system_prompt
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.seed = seed
        self.extra_body = dict(extra_body or {})
        self.roles = dict(roles or {})
        self.system_turn_prefix = system_turn_prefix
        self.max_in_flight = max_in_flight
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.max_retry_after_s = max_retry_after_s
        self.handoff_tool = handoff_tool
        self.offer_handoff_tool = offer_handoff_tool
        self.handoff_marker = handoff_marker
        self.price_per_1k_in = price_per_1k_in
        self.price_per_1k_out = price_per_1k_out
        self.send_case_id = send_case_id
        # Kept across batches: a throttling server stays throttling. Successes slower than half the timeout do not
        # add requests: the server (one request at a time, like llama.cpp's) is only just answering in time.
        self.concurrency = AimdLimit(max_in_flight, slow_s=timeout_s / 2)
        self._rng = random.Random()

    def __repr__(self) -> str:
        return f"OpenAIChatBot(name={self.name!r}, base_url={self.base_url!r}, model={self.model!r})"

    def fingerprint(self) -> str:
        return fingerprint_of(
            "openai-chat", base_url=self.base_url, model=self.model, system_prompt=self.system_prompt,
            temperature=self.temperature, max_tokens=self.max_tokens, seed=self.seed, extra_body=self.extra_body,
            roles=self.roles, system_turn_prefix=self.system_turn_prefix, handoff_tool=self.handoff_tool,
            offer_handoff_tool=self.offer_handoff_tool, handoff_marker=self.handoff_marker,
            # Requests offering the tool say tool_choice "auto" since it was added: their replies differ.
            **({"tool_choice": "auto"} if self.offer_handoff_tool else {}),
        )

    def payload(self, case: Case) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": to_messages(case.context, self.system_prompt, self.roles, self.system_turn_prefix),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        if self.offer_handoff_tool and self.handoff_tool:
            body["tools"] = [handoff_tool_spec(self.handoff_tool)]
            body["tool_choice"] = "auto"  # llama.cpp's server takes a missing tool_choice as "none"
        return {**body, **self.extra_body}

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        return self.reply_each(cases, lambda index, reply: None)

    def reply_each(self, cases: Sequence[Case], done: Callable[[int, Reply], None]) -> list[Reply]:
        if not cases:
            return []
        headers = self._auth_headers()
        key = headers.get("Authorization", "").removeprefix("Bearer ")
        # A server may quote the request in its error body: the key must not reach the error record.
        work = self._reply_all(list(cases), headers, lambda i, reply: done(i, _without(key, reply)))
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            replies = _run_loop(work)
        else:  # called from inside an event loop (a notebook): ours runs on a thread of its own, not nested
            with ThreadPoolExecutor(max_workers=1) as pool:
                replies = pool.submit(_run_loop, work).result()
        return [_without(key, reply) for reply in replies]

    def _auth_headers(self) -> dict[str, str]:
        if not self.api_key_env:
            return {}
        key = os.environ.get(self.api_key_env)
        if not key:
            raise InvalidData(f"bot {self.name!r}: environment variable {self.api_key_env} (api_key_env) is not set")
        return {"Authorization": f"Bearer {key}"}

    async def _reply_all(self, cases: list[Case], headers: dict[str, str], done: Callable[[int, Reply], None]
                         ) -> list[Reply]:
        gate = ConcurrencyGate(self.concurrency)
        replies: list[Reply | None] = [None] * len(cases)
        pending = iter(enumerate(cases))  # shared by the workers; safe, as they all run on this one thread
        refused: list[str] = []
        workers = min(self.max_in_flight, len(cases))
        limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
        # httpx's API over aiohttp's connection pool: httpcore's own pool costs ~2 ms of CPU per request (it
        # rescans every connection), which caps one core well below 640 replies/s; aiohttp's costs a fraction.
        transport = AiohttpTransport(limits=limits)
        async with httpx.AsyncClient(headers=headers, timeout=self.timeout_s, transport=transport) as client:

            async def worker() -> None:
                for index, case in pending:
                    try:
                        replies[index] = await self._reply_one(client, gate, case)
                    except _ToolsRefused as err:
                        refused.append(str(err))
                    if refused:
                        return  # the rest would be refused alike: stop sending
                    done(index, replies[index])

            await asyncio.gather(*(worker() for _ in range(workers)))
        if refused:
            raise InvalidData(f"bot {self.name!r}: {self.base_url} refused the handoff tool (HTTP 400: {refused[0]}); "
                              "its server or model does not support tools: set offer_handoff_tool=false, or serve "
                              "a model with tool support")
        missing = [cases[i].id for i, r in enumerate(replies) if r is None]
        if missing:
            raise RuntimeError(f"bot {self.name!r}: no reply recorded for cases {missing[:5]}")
        return replies  # type: ignore[return-value]

    async def _reply_one(self, client: httpx.AsyncClient, gate: ConcurrencyGate, case: Case) -> Reply:
        payload = self.payload(case)
        headers = {CASE_ID_HEADER: case.id} if self.send_case_id else {}
        attempts = 0
        queue_s = 0.0  # waiting for a slot, over all attempts: the client's queue, not the server's time
        while True:
            attempts += 1
            waiting = time.perf_counter()
            async with gate.slot() as epoch:
                began = time.perf_counter()
                queue_s += began - waiting
                outcome = await self._attempt(client, payload, headers)
                latency_s = time.perf_counter() - began
                if outcome.congested:
                    self.concurrency.on_throttle(epoch)
                elif outcome.reply is not None:
                    self.concurrency.on_success(latency_s)
            if outcome.reply is not None:
                return replace(outcome.reply, latency_s=latency_s, attempts=attempts, cost=self._cost(outcome.reply),
                               queue_s=queue_s)
            if not outcome.retryable or attempts > self.max_retries:
                plural = "s" if attempts > 1 else ""
                return Reply.failed(f"{outcome.kind} after {attempts} attempt{plural}: {outcome.detail}",
                                    latency_s=latency_s, attempts=attempts, queue_s=queue_s)
            if outcome.retry_after_s is not None:
                delay = min(outcome.retry_after_s, self.max_retry_after_s)
            else:
                delay = retry_delay(attempts, self.backoff_base_s, self.backoff_max_s, self._rng)
            await asyncio.sleep(delay)

    async def _attempt(self, client: httpx.AsyncClient, payload: dict[str, Any], headers: dict[str, str]) -> _Attempt:
        try:
            response = await client.post(f"{self.base_url}/chat/completions", json=payload, headers=headers)
        except httpx.TimeoutException as err:
            # The aiohttp transport files a refused connection under httpx.ConnectTimeout; its cause says which.
            cause = err.__cause__
            if cause is not None and not isinstance(cause, asyncio.TimeoutError):
                return _Attempt(kind="ConnectError", detail=str(cause) or type(cause).__name__)
            return _Attempt(kind="timeout", detail=f"no complete answer within {self.timeout_s} s", congested=True)
        except httpx.TransportError as err:
            return _Attempt(kind=type(err).__name__, detail=str(err) or "connection failed")
        status = response.status_code
        if status == 429 or status == 408 or status >= 500:
            return _Attempt(kind=f"HTTP {status}", detail=_error_text(response), congested=status == 429,
                            retry_after_s=retry_after_seconds(response.headers.get("retry-after")))
        if status == 400 and "tools" in payload and "tool" in _error_text(response).lower():
            # vLLM without --enable-auto-tool-choice, Ollama for a model without tools: a setting, not a case.
            raise _ToolsRefused(_error_text(response))
        if status >= 400:  # the request itself is wrong (bad model name, bad key): retrying cannot help
            return _Attempt(kind=f"HTTP {status}", detail=_error_text(response), retryable=False)
        try:
            return _Attempt(reply=parse_completion(response.content, self.handoff_tool, self.handoff_marker))
        except BadCompletion as bad:
            return _Attempt(kind=bad.kind, detail=bad.detail or f"HTTP {status} with no reply in its body")

    def _cost(self, reply: Reply) -> float | None:
        if self.price_per_1k_in is None and self.price_per_1k_out is None:
            return None
        if reply.tokens_in is None and reply.tokens_out is None:
            return None  # the server reported no usage: unknown, not free
        return ((reply.tokens_in or 0) * (self.price_per_1k_in or 0.0)
                + (reply.tokens_out or 0) * (self.price_per_1k_out or 0.0)) / 1000


def _without(key: str, reply: Reply) -> Reply:
    if not key or reply.error is None or key not in reply.error:
        return reply
    return replace(reply, error=reply.error.replace(key, "<SECRET>"))


def _run_loop(work: Any) -> Any:
    """uvloop (less event-loop overhead per request) where it exists, which is not on Windows; else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    return uvloop.run(work)


def _error_text(response: httpx.Response, limit: int = 200) -> str:
    """The server's own error message when it sends one ({"error": {"message": ...}}), else the body's start."""
    try:
        error = response.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(message, str) and message:
            return message[:limit]
    except (ValueError, AttributeError):
        pass
    return response.text[:limit] or response.reason_phrase
