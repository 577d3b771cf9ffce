"""Any bot as an OpenAI-compatible endpoint (`/v1/chat/completions`, `/v1/models`, `/health`), with optional faults.

Requests are async end to end: added latency and injected hangs are `asyncio.sleep`s, so hundreds of concurrent
requests cost no threads. The bot's synchronous `reply_batch` runs on a worker thread, one batch at a time (bots
need not be thread-safe, and a model batches better than it interleaves): requests that arrive while a batch runs
form the next batch.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, fields
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from evalkit.bots.openai_wire import CASE_ID_HEADER, completion_body, to_case
from evalkit.contract import Bot
from evalkit.errors import InvalidData
from evalkit.replay import Case
from evalkit.reply import Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Faults:
    """Per-request probabilities of each injected fault (at most one per request), plus latency added to all."""

    error_500: float = 0.0
    error_429: float = 0.0  # answered with Retry-After: retry_after_s
    timeout: float = 0.0  # the request hangs for hang_s (or until the client gives up and disconnects)
    malformed: float = 0.0  # 200 with a body that is not valid JSON
    empty_choices: float = 0.0  # 200 with "choices": []
    latency_ms: float = 0.0
    retry_after_s: int = 1
    hang_s: float = 30.0
    seed: int = 0

    KINDS = ("error_500", "error_429", "timeout", "malformed", "empty_choices")

    def __post_init__(self) -> None:
        rates = [getattr(self, kind) for kind in self.KINDS]
        if any(r < 0 for r in rates) or sum(rates) > 1:
            given = dict(zip(self.KINDS, rates, strict=True))
            raise InvalidData(f"fault rates must be >= 0 and sum to at most 1, got {given}")

    def draw(self, rng: random.Random) -> str | None:
        u = rng.random()
        for kind in self.KINDS:
            u -= getattr(self, kind)
            if u < 0:
                return kind
        return None


class MicroBatcher:
    """Collects concurrent requests into batches for one worker thread calling the bot's reply_batch."""

    def __init__(self, bot: Bot, max_batch: int = 64):
        self.bot = bot
        self.name = bot.name  # read once: the worker's error path must not fail too, or requests wait for ever
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Case, asyncio.Future[Reply]]] | None = None
        self._worker: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    async def reply(self, case: Case) -> Reply:
        assert self._queue is not None, "MicroBatcher.start() must run inside the server's event loop first"
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        await self._queue.put((case, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            cases = [case for case, _ in batch]
            try:
                replies = await run_in_threadpool(self.bot.reply_batch, cases)
                if len(replies) != len(cases):
                    raise RuntimeError(f"bot {self.name!r} returned {len(replies)} replies for {len(cases)} cases")
            except Exception as err:  # a bot bug answers this batch with 500s; the server stays up
                log.exception("bot %r failed on a batch of %d", self.name, len(cases))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(err)
                continue
            for (_, future), reply in zip(batch, replies, strict=True):
                if not future.done():  # a client that gave up leaves a cancelled future behind
                    future.set_result(reply)


def create_app(bot: Bot, faults: Faults | None = None, max_batch: int = 64,
               handoff_tool: str = "handoff_to_human") -> Starlette:
    """The ASGI app. `app.state.counts` tallies requests as they arrive ("requests") and their outcomes ("ok",
    "bot_error", "bad_request" and each fault kind); `/health` reports it."""
    faults = faults or Faults()
    rng = random.Random(faults.seed)
    batcher = MicroBatcher(bot, max_batch)
    counts: Counter[str] = Counter()
    request_ids = itertools.count()

    def error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> JSONResponse:
        counts[kind] += 1
        return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status, headers=headers)

    async def chat_completions(request: Request) -> Response:
        request_id = next(request_ids)
        counts["requests"] += 1
        fault = faults.draw(rng)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if fault == "timeout":
            counts[fault] += 1
            await _hang(request, faults.hang_s)
            return JSONResponse({"error": {"message": "injected fault: hung", "type": fault}}, status_code=504)
        if fault == "error_500":
            return error(500, "injected fault: internal server error", fault)
        if fault == "error_429":
            return error(429, "injected fault: rate limited", fault, {"Retry-After": str(faults.retry_after_s)})
        try:
            body = await request.json()
            if body.get("stream"):
                raise ValueError("streaming is not supported")
            case = to_case(body.get("messages"), request.headers.get(CASE_ID_HEADER) or f"request:{request_id}")
        except (ValueError, AttributeError) as err:
            return error(400, f"bad request: {err}", "bad_request")
        if fault == "malformed":
            counts[fault] += 1
            return Response(b'{"id": "chatcmpl-broken", "choices": [{"message": ', media_type="application/json")
        if fault == "empty_choices":
            counts[fault] += 1
            return JSONResponse({"id": f"chatcmpl-{request_id}", "object": "chat.completion", "choices": []})
        try:
            reply = await batcher.reply(case)
        except Exception as err:
            return error(500, f"bot {bot.name!r} raised {type(err).__name__}: {err}", "bot_error")
        if not reply.ok:
            return error(500, f"bot {bot.name!r} failed: {reply.error}", "bot_error")
        counts["ok"] += 1
        return JSONResponse(completion_body(reply, str(body.get("model") or bot.name), str(request_id),
                                            int(time.time()), handoff_tool))

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": bot.name, "object": "model", "owned_by": "evalkit"}]})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "bot": bot.name, "counts": dict(counts)})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        batcher.start()
        yield
        await batcher.stop()

    app = Starlette(routes=[
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ], lifespan=lifespan)
    app.state.counts = counts
    return app


async def _hang(request: Request, seconds: float) -> None:
    """Sleep, but stop as soon as the client hangs up, so abandoned requests do not pile up until shutdown."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not await request.is_disconnected():
        await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


def faults_from(settings: dict[str, Any] | None) -> Faults:
    known = {f.name for f in fields(Faults)}
    unknown = set(settings or {}) - known
    if unknown:
        raise InvalidData(f"unknown fault settings {sorted(unknown)}; known: {sorted(known)}")
    return Faults(**(settings or {}))


def _server(app: Starlette, log_level: str = "warning") -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on",
                                         timeout_graceful_shutdown=2))


def _bound_socket(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP, not the default 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they
    # are TCP, and with Nagle on, a response's body waits ~40 ms for the ACK of its headers on a kept-alive connection.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


@contextmanager
def running(app: Starlette, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` on a background thread (port 0: a free one); yields the base URL ("http://host:port/v1")."""
    sock = _bound_socket(host, port)
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="evalkit-serve", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server thread stopped before it started serving")
            time.sleep(0.01)
        yield f"http://{host}:{sock.getsockname()[1]}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_forever(app: Starlette, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve in the foreground until interrupted; prints the base URL first (port 0 picks a free port)."""
    sock = _bound_socket(host, port)
    print(f"evalkit serve: listening on http://{host}:{sock.getsockname()[1]}/v1", flush=True)
    _server(app, log_level="info").run(sockets=[sock])
