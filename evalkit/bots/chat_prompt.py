"""How a replayed conversation becomes a prompt for a local model.

Two formats. With a tokenizer that has a chat template, the context becomes chat messages: customer -> user,
agent -> assistant, and system/tool turns per `system_role`:
  - "user" (default): folded into a user message as "[system] <text>", because many chat templates accept a system
    message only first, or not at all;
  - "system": kept as a system message (for templates that accept system messages anywhere);
  - "drop": left out.
Consecutive messages with the same role are joined with a newline (templates often insist on alternation). The
configured system prompt, if any, is the first message, with role system.

Without a chat template, a plain transcript that ends with the agent's cue:

    <system prompt>            (if any, then a blank line)
    Customer: <text>
    Agent: <text>
    System: <text>             (unless system_role="drop")
    Agent:
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from evalkit.transcript import Turn

SystemRole = Literal["user", "system", "drop"]
SYSTEM_ROLES: tuple[str, ...] = ("user", "system", "drop")
PLAIN_LABELS = {"customer": "Customer", "agent": "Agent", "system": "System"}
PLAIN_CUE = "Agent:"


def chat_messages(context: Sequence[Turn], system_prompt: str | None = None,
                  system_role: SystemRole = "user") -> list[dict[str, str]]:
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for turn in context:
        if turn.role == "customer":
            role, text = "user", turn.text
        elif turn.role == "agent":
            role, text = "assistant", turn.text
        elif system_role == "drop":
            continue
        elif system_role == "system":
            role, text = "system", turn.text
        else:
            role, text = "user", f"[system] {turn.text}"
        if messages and messages[-1]["role"] == role and len(messages) > (1 if system_prompt else 0):
            messages[-1] = {"role": role, "content": f"{messages[-1]['content']}\n{text}"}
        else:
            messages.append({"role": role, "content": text})
    return messages


def plain_prompt(context: Sequence[Turn], system_prompt: str | None = None, system_role: SystemRole = "user") -> str:
    lines = [system_prompt, ""] if system_prompt else []
    lines += [f"{PLAIN_LABELS[turn.role]}: {turn.text}" for turn in context
              if not (turn.role == "system" and system_role == "drop")]
    lines.append(PLAIN_CUE)
    return "\n".join(lines)
