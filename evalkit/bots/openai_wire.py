"""The OpenAI chat-completions wire format, both ways: what the HTTP bot sends and reads, what `evalkit serve` reads
and sends. Keeping both directions here is what makes a bot served by evalkit answer the HTTP bot like vLLM would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.transcript import Turn

# Chat APIs know user/assistant/system. A mid-conversation system turn (a transfer notice, a tool result) goes as a
# user message marked "[system] " by default: many chat templates (Llama, Mistral, Gemma) refuse a system message
# anywhere but first, and every template accepts a user message.
DEFAULT_ROLES: Mapping[str, str] = {"customer": "user", "agent": "assistant", "system": "user"}
DEFAULT_SYSTEM_TURN_PREFIX = "[system] "
CASE_ID_HEADER = "X-Evalkit-Case-Id"  # lets `evalkit serve` keep a retrieval bot from answering from the same chat


class BadCompletion(Exception):
    """A 2xx response that holds no usable reply; `kind` is what the error record says first."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind, self.detail = kind, detail


def to_messages(
    context: Sequence[Turn],
    system_prompt: str | None = None,
    roles: Mapping[str, str] | None = None,
    system_turn_prefix: str = DEFAULT_SYSTEM_TURN_PREFIX,
) -> list[dict[str, str]]:
    roles = {**DEFAULT_ROLES, **(roles or {})}
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for turn in context:
        role = roles[turn.role]
        text = system_turn_prefix + turn.text if turn.role == "system" and role != "system" else turn.text
        messages.append({"role": role, "content": text})
    return messages


def handoff_tool_spec(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name,
        "description": "Hand the conversation over to a human agent when the bot cannot or should not resolve it.",
        "parameters": {"type": "object", "properties": {"reason": {"type": "string"}}},
    }}


def parse_completion(body: bytes, handoff_tool: str | None, handoff_marker: str | None) -> Reply:
    """The reply in a chat-completions response body, or BadCompletion saying what is wrong with it."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise BadCompletion("malformed response body", f"not JSON ({err}): {_snippet(body)}") from None
    if not isinstance(data, dict):
        raise BadCompletion("malformed response body", f"expected a JSON object, got {type(data).__name__}")
    choices = data.get("choices")
    if not isinstance(choices, list):
        raise BadCompletion("malformed response body", "no 'choices' list")
    if not choices:
        raise BadCompletion("empty choice list")
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    if not isinstance(message, dict):
        raise BadCompletion("malformed response body", "the first choice has no 'message' object")
    content = _text_of(message.get("content"))
    called = _called_functions(message)
    if content is None and not called:
        raise BadCompletion("malformed response body", "the message has neither content nor a tool call")
    text = content or ""
    handoff = handoff_tool is not None and handoff_tool in called
    if handoff_marker and handoff_marker in text:
        handoff = True
        text = text.replace(handoff_marker, "").strip()
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    finish = choices[0].get("finish_reason")  # "length": cut at max_tokens, so the reply may stop mid-sentence
    return Reply(text=text, handoff=handoff, tokens_in=_int_or_none(usage.get("prompt_tokens")),
                 tokens_out=_int_or_none(usage.get("completion_tokens")),
                 truncated=finish == "length" if isinstance(finish, str) else None)


def _text_of(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return None


def _called_functions(message: Mapping[str, Any]) -> set[str]:
    calls = [c.get("function") for c in message.get("tool_calls") or [] if isinstance(c, dict)]
    calls.append(message.get("function_call"))  # the pre-tools API
    return {c["name"] for c in calls if isinstance(c, dict) and isinstance(c.get("name"), str)}


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _snippet(body: bytes, limit: int = 120) -> str:
    text = body[:limit].decode("utf-8", errors="replace")
    return repr(text + ("…" if len(body) > limit else ""))


# --- the server side (`evalkit serve`) ---------------------------------------------------------------------------

_TURN_ROLES = {"user": "customer", "assistant": "agent", "system": "system", "developer": "system", "tool": "system"}


class BadRequest(ValueError):
    """A request body `evalkit serve` cannot answer; the message is the 400's reason, in one line."""


@dataclass(frozen=True)
class ChatRequest:
    """The parts of a chat-completions request a served bot uses; every other field is accepted and ignored."""

    messages: Any  # checked by to_case, which needs the case id as well
    model: str | None


def parse_request(body: bytes) -> ChatRequest:
    """The request in a body, or BadRequest saying what is wrong with it. Strict where leniency would reach the bot
    or the response: anything that is not plain JSON text is refused here rather than failing later as a 500."""
    try:
        text = body.decode("utf-8")  # JSON is UTF-8 (RFC 8259); json.loads(bytes) would also guess UTF-16/32
    except UnicodeDecodeError as err:
        raise BadRequest(f"the body is not valid UTF-8 (byte {err.start})") from None
    try:
        data = _STRICT_JSON.decode(text)
    except RecursionError:  # the C decoder recurses per level, up to the recursion limit: 2 KB of brackets
        raise BadRequest("the body is not JSON evalkit accepts: nested too deeply") from None
    except ValueError as err:  # JSONDecodeError, NaN/Infinity, integers past int_max_str_digits
        raise BadRequest(f"the body is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise BadRequest(f"the body must be a JSON object, not {_json_type(data)}")
    stream = data.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise BadRequest(f"'stream' must be a boolean, not {_json_type(stream)}")
    if stream:
        raise BadRequest("streaming is not supported ('stream': true)")
    model = data.get("model")
    if model is not None:
        _checked_text(model, "'model'")
    if "messages" not in data:
        raise BadRequest("'messages' is required")
    return ChatRequest(messages=data["messages"], model=model or None)


def to_case(messages: Any, case_id: str) -> Case:
    """A request's messages as the case a bot replies to. Leading system messages are the client's system prompt,
    which an evalkit bot has no use for; later ones become system turns. Messages with no text (null or empty
    content, image parts only) are skipped, so the context may be empty, as a case whose agent speaks first is.
    Raises BadRequest (a ValueError) on a bad request."""
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty list")
    turns: list[Turn] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise BadRequest(f"messages[{i}] must be an object, not {_json_type(message)}")
        role = message.get("role")
        if not isinstance(role, str) or role not in _TURN_ROLES:  # a list or dict role is unhashable: check first
            raise BadRequest(f"messages[{i}].role: unknown role {_shown(role)} (known: {', '.join(_TURN_ROLES)})")
        text = _content_text(message.get("content"), f"messages[{i}].content")
        if not text or (role in ("system", "developer") and not turns):
            continue
        turns.append(Turn(role=_TURN_ROLES[role], text=text))  # type: ignore[arg-type]
    transcript_id, _, index = case_id.rpartition(":")
    return Case(id=case_id, transcript_id=transcript_id or case_id,
                turn_index=int(index) if index.isascii() and index.isdigit() else len(turns),  # "²".isdigit()
                context=tuple(turns), reference=Turn(role="agent", text=""))


def _content_text(content: Any, where: str) -> str | None:
    """A message's text: a string, content parts (only text parts count: a text bot has no use for the others), or
    null. Anything else is a bad request, not a turn silently dropped."""
    if content is None:
        return None
    if isinstance(content, str):
        return _checked_text(content, where)
    if not isinstance(content, list):
        raise BadRequest(f"{where} must be a string, a list of content parts or null, not {_json_type(content)}")
    texts = []
    for j, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise BadRequest(f"{where}[{j}] must be a content part: an object with a string 'type'")
        if part["type"] == "text":
            texts.append(_checked_text(part.get("text"), f"{where}[{j}].text"))
    return "".join(texts)


def _checked_text(value: Any, where: str) -> str:
    """A string that can reach the bot and come back in the response. JSON may escape lone surrogates ("\\ud800"),
    which decode to a str that cannot be encoded as UTF-8: the response would fail to render, as a 500."""
    if not isinstance(value, str):
        raise BadRequest(f"{where} must be a string, not {_json_type(value)}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as err:
            raise BadRequest(f"{where} is not valid Unicode: a lone surrogate at character {err.start}") from None
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_STRICT_JSON = json.JSONDecoder(parse_constant=_refuse_constant)  # one decoder: json.loads(**kw) builds one per call


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _shown(value: Any, limit: int = 40) -> str:
    """A client's value in a reason, cut short: a reason must stay one line, however large the value."""
    text = repr(value)  # repr escapes surrogates and control characters, so the reason always renders
    return text if len(text) <= limit else text[:limit] + "…"


def completion_body(reply: Reply, model: str, request_id: str, created: int, handoff_tool: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.handoff:
        message["tool_calls"] = [{"id": f"call-{request_id}", "type": "function",
                                  "function": {"name": handoff_tool, "arguments": "{}"}}]
    body: dict[str, Any] = {
        "id": f"chatcmpl-{request_id}", "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": message,
                     "finish_reason": "tool_calls" if reply.handoff else "length" if reply.truncated else "stop"}],
    }
    if reply.tokens_in is not None or reply.tokens_out is not None:
        tokens_in, tokens_out = reply.tokens_in or 0, reply.tokens_out or 0
        body["usage"] = {"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                         "total_tokens": tokens_in + tokens_out}
    return body
