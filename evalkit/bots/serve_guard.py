"""What `evalkit serve` checks before a bot sees a request: a bearer token when one is configured, a body size
limit enforced while reading, the tallies `/health` reports, and the host it may listen on."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections import Counter

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from evalkit.errors import InvalidData

DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # a long conversation is tens of KB; a MiB leaves room and bounds the memory
MIN_TOKEN_CHARS = 16

CLOSE = {"Connection": "close"}  # after a refused body, do not read the rest of it for the next request


class TooLarge(Exception):
    pass


class Guard:
    """Pure ASGI (no per-request task, unlike BaseHTTPMiddleware): tallies each request, then refuses one without
    the token (401) or declaring a body over the limit (413) before any route sees it."""

    def __init__(self, app: ASGIApp, counts: Counter[str], token: str | None, max_body_bytes: int):
        self.app, self.counts, self.max_body_bytes = app, counts, max_body_bytes
        # Compared as digests: compare_digest is constant-time only for equal lengths, and a digest has one length.
        self._digest = hashlib.sha256(token.encode()).digest() if token is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["path"] == "/health":  # open, so a load balancer can probe it; it says nothing about the bot's data
            self.counts["health"] += 1
            return await self.app(scope, receive, send)
        self.counts["requests"] += 1
        headers = dict(scope["headers"])  # a repeated header: the last one; names are lower-case in ASGI
        refusal = self._refusal(headers)
        if refusal is not None:
            status, message, kind, extra = refusal
            self.counts[kind] += 1
            return await error_response(status, message, kind, extra)(scope, receive, send)
        await self.app(scope, receive, send)

    def _refusal(self, headers: dict[bytes, bytes]) -> tuple[int, str, str, dict[str, str]] | None:
        if self._digest is not None:
            scheme, _, credentials = headers.get(b"authorization", b"").partition(b" ")
            if scheme.lower() != b"bearer" or not credentials.strip():
                return 401, "this server requires Authorization: Bearer <token>", "unauthorized", _CHALLENGE
            if not hmac.compare_digest(hashlib.sha256(credentials.strip()).digest(), self._digest):
                return 401, "the bearer token is not this server's", "unauthorized", _CHALLENGE
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            return (413, f"request body of {int(length)} bytes is over the server's max_body_bytes="
                    f"{self.max_body_bytes}", "too_large", CLOSE)
        return None


_CHALLENGE = {"WWW-Authenticate": "Bearer", **CLOSE}  # closed too: an unread body may follow


def error_response(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status, headers=headers)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, but never more than `limit` bytes of it in memory: a chunked body declares no length up front."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def is_json(content_type: str | None) -> bool:
    return content_type is not None and content_type.partition(";")[0].strip().lower() == "application/json"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: only this machine can connect."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # any other name may resolve to anything
        return False


def check_host(host: str, requires_token: bool) -> None:
    """Refuse to serve beyond this machine without a token: anyone who can reach the port could use the bot."""
    if not requires_token and not is_loopback(host):
        raise InvalidData(f"host={host} is not a loopback address and no token is configured: set token_env=<VAR> "
                          "with the token in $VAR to require Authorization: Bearer, or serve on host=127.0.0.1")


def check_token(token: str | None) -> None:
    """A token clients can send as a header and nobody guesses. Messages never include the token."""
    if token is None:
        return
    if not token.isascii() or not token.isprintable() or " " in token:
        raise InvalidData("the serve token must be printable ASCII without spaces (it travels in a header)")
    if len(token) < MIN_TOKEN_CHARS:
        raise InvalidData(f"the serve token has {len(token)} characters; use at least {MIN_TOKEN_CHARS}, e.g. "
                          "python -c 'import secrets; print(secrets.token_urlsafe(32))'")
