"""The OpenAI chat-completions wire format, both ways: what the HTTP bot sends and reads, what `evalkit serve` reads
and sends. Keeping both directions here is what makes a bot served by evalkit answer the HTTP bot like vLLM would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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
    return Reply(text=text, handoff=handoff, tokens_in=_int_or_none(usage.get("prompt_tokens")),
                 tokens_out=_int_or_none(usage.get("completion_tokens")))


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


def to_case(messages: Any, case_id: str) -> Case:
    """A request's messages as the case a bot replies to. Leading system messages are the client's system prompt,
    which an evalkit bot has no use for; later ones become system turns. Raises ValueError on a bad request."""
    if not isinstance(messages, list) or not messages:
        raise ValueError("'messages' must be a non-empty list")
    turns: list[Turn] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ValueError(f"messages[{i}] must be an object")
        role = message.get("role")
        if role not in _TURN_ROLES:
            raise ValueError(f"messages[{i}].role: unknown role {role!r}")
        text = _text_of(message.get("content"))
        if not text or (role in ("system", "developer") and not turns):
            continue
        turns.append(Turn(role=_TURN_ROLES[role], text=text))  # type: ignore[arg-type]
    transcript_id, _, index = case_id.rpartition(":")
    return Case(id=case_id, transcript_id=transcript_id or case_id,
                turn_index=int(index) if index.isdigit() else len(turns), context=tuple(turns),
                reference=Turn(role="agent", text=""))


def completion_body(reply: Reply, model: str, request_id: str, created: int, handoff_tool: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.handoff:
        message["tool_calls"] = [{"id": f"call-{request_id}", "type": "function",
                                  "function": {"name": handoff_tool, "arguments": "{}"}}]
    body: dict[str, Any] = {
        "id": f"chatcmpl-{request_id}", "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.handoff else "stop"}],
    }
    if reply.tokens_in is not None or reply.tokens_out is not None:
        tokens_in, tokens_out = reply.tokens_in or 0, reply.tokens_out or 0
        body["usage"] = {"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                         "total_tokens": tokens_in + tokens_out}
    return body
