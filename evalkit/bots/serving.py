"""Any bot as an OpenAI-compatible endpoint (`/v1/chat/completions`, `/v1/models`, `/health`), with optional faults.

Requests are async end to end: added latency and injected hangs are `asyncio.sleep`s, so hundreds of concurrent
requests cost no threads. The bot's synchronous `reply_batch` runs on a worker thread, one batch at a time (bots
need not be thread-safe, and a model batches better than it interleaves): requests that arrive while a batch runs
form the next batch.

Every request passes a guard first (evalkit.bots.serve_guard): a bearer token when one is configured, a body size
limit, and the tallies `/health` reports. A request the server cannot answer is a 4xx with a JSON reason, never a
500: a 500 is the server's (or the bot's) fault. Injected faults: evalkit.bots.faults.
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

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from evalkit.bots.faults import Faults, hang
from evalkit.bots.openai_wire import CASE_ID_HEADER, BadRequest, completion_body, parse_request, to_case
from evalkit.bots.serve_guard import (
    CLOSE,
    DEFAULT_MAX_BODY_BYTES,
    Guard,
    TooLarge,
    check_host,
    check_token,
    error_response,
    is_json,
    read_body,
)
from evalkit.contract import Bot
from evalkit.errors import InvalidData
from evalkit.replay import Case
from evalkit.reply import Reply

log = logging.getLogger(__name__)



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
               handoff_tool: str = "handoff_to_human", token: str | None = None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Starlette:
    """The ASGI app. With `token`, every request but `/health` needs `Authorization: Bearer <token>`; bodies over
    `max_body_bytes` are refused (413) before they are read whole.

    `app.state.counts` tallies every request as it arrives ("requests"; polls of `/health` apart, as "health", so
    that reading the tallies does not move them) and each request's one outcome: "ok" (answered), "models",
    "bad_request", "unauthorized", "too_large", "not_found", "method_not_allowed", "bot_error", "server_error",
    "disconnected" or an injected fault kind. `/health` reports it."""
    check_token(token)
    if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) or max_body_bytes < 1:
        raise InvalidData(f"max_body_bytes must be a positive number of bytes, not {max_body_bytes!r}")
    faults = faults or Faults()
    rng = random.Random(faults.seed)
    batcher = MicroBatcher(bot, max_batch)
    counts: Counter[str] = Counter()
    request_ids = itertools.count()

    def error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> JSONResponse:
        counts[kind] += 1
        return error_response(status, message, kind, headers)

    async def chat_completions(request: Request) -> Response:
        request_id = next(request_ids)
        fault = faults.draw(rng)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if fault == "timeout":
            counts[fault] += 1
            await hang(request, faults.hang_s)
            return JSONResponse({"error": {"message": "injected fault: hung", "type": fault}}, status_code=504)
        if fault == "error_500":
            return error(500, "injected fault: internal server error", fault)
        if fault == "error_429":
            return error(429, "injected fault: rate limited", fault, {"Retry-After": str(faults.retry_after_s)})
        if not is_json(request.headers.get("content-type")):
            # Also what keeps a web page from posting here: a cross-site "simple" request cannot say
            # application/json without a CORS preflight, which this server never grants.
            return error(415, "bad request: Content-Type must be application/json", "bad_request")
        try:
            raw = await read_body(request, max_body_bytes)
        except TooLarge:
            return error(413, f"request body over the server's max_body_bytes={max_body_bytes}", "too_large",
                         CLOSE)
        except ClientDisconnect:
            counts["disconnected"] += 1
            return Response(status_code=400)  # nobody is left to read it
        try:
            parsed = parse_request(raw)
            case = to_case(parsed.messages, request.headers.get(CASE_ID_HEADER) or f"request:{request_id}")
        except BadRequest as err:
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
        try:  # JSONResponse renders here: a reply text with a lone surrogate cannot be encoded
            response = JSONResponse(completion_body(reply, parsed.model or bot.name, str(request_id),
                                                    int(time.time()), handoff_tool))
        except ValueError as err:
            return error(500, f"bot {bot.name!r} replied with text that cannot be sent: {err}", "bot_error")
        counts["ok"] += 1
        return response

    async def models(request: Request) -> Response:
        counts["models"] += 1
        return JSONResponse({"object": "list", "data": [{"id": bot.name, "object": "model", "owned_by": "evalkit"}]})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "bot": bot.name, "counts": dict(counts)})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        return error(exc.status_code, f"{request.method} {request.url.path}: {exc.detail}", kind, exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        # A bug of the server's own: still a JSON body a client can report (the traceback goes to the log).
        return error(500, f"internal server error: {type(exc).__name__}", "server_error")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        batcher.start()
        yield
        await batcher.stop()

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ],
        middleware=[Middleware(Guard, counts=counts, token=token, max_body_bytes=max_body_bytes)],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan)
    app.state.counts = counts
    app.state.requires_token = token is not None  # whether, not what: the token itself is kept in Guard only
    return app


def _requires_token(app: Starlette) -> bool:
    return bool(getattr(app.state, "requires_token", False))  # an app not made by create_app: loopback only


def _server(app: Starlette, log_level: str = "warning") -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on",
                                         timeout_graceful_shutdown=2))


def _bound_socket(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP, not the default 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they
    # are TCP, and with Nagle on, a response's body waits ~40 ms for the ACK of its headers on a kept-alive connection.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    return sock


def _base_url(host: str, sock: socket.socket) -> str:
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{shown}:{sock.getsockname()[1]}/v1"


@contextmanager
def running(app: Starlette, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` on a background thread (port 0: a free one); yields the base URL ("http://host:port/v1")."""
    check_host(host, _requires_token(app))
    sock = _bound_socket(host, port)
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="evalkit-serve", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server thread stopped before it started serving")
            time.sleep(0.01)
        yield _base_url(host, sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_forever(app: Starlette, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve in the foreground until interrupted; prints the base URL first (port 0 picks a free port)."""
    check_host(host, _requires_token(app))
    sock = _bound_socket(host, port)
    print(f"evalkit serve: listening on {_base_url(host, sock)}", flush=True)  # first line: scripts read the URL
    if _requires_token(app):
        print("evalkit serve: every request but /health needs Authorization: Bearer <token>", flush=True)
    _server(app, log_level="info").run(sockets=[sock])
