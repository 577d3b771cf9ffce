"""The judge prompts: a conversation, the reply (or two anonymous replies), the question and the answer schema.

Templates are plain str.format strings with named fields, so a config can swap in its own wording and keep the
schema line, which is what the parser relies on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from evalkit.transcript import Turn

ROLE_NAMES = {"customer": "Customer", "agent": "Agent", "system": "System note"}

CRITERION = """You are reviewing one reply in a customer-support conversation.

Conversation so far:
{conversation}
{reference_block}
Reply to review:
<<<
{reply}
>>>

Criterion: {criterion}
{description}

Rate the reply on this criterion only, from {low} (worst) to {high} (best). Answer with one JSON object and
nothing else: {{"score": <integer from {low} to {high}>, "rationale": "<one sentence>"}}"""

# How each schema's answer opens: a backend that weighs choices is shown this and asked for the next token only.
RATING_PREFIX = '{"score": '
PREFERENCE_PREFIX = '{"winner": "'

REFERENCE_BLOCK = """
For comparison, what an experienced human agent replied:
<<<
{reference}
>>>
"""

PAIRWISE = """You are comparing two candidate replies in a customer-support conversation.

Conversation so far:
{conversation}

Reply A:
<<<
{first}
>>>

Reply B:
<<<
{second}
>>>

{question}
Answer with one JSON object and nothing else: {{"winner": "A" | "B" | "tie", "rationale": "<one sentence>"}}"""

PAIRWISE_QUESTION = ("Which reply is better for the customer: correct, resolves or advances their issue, follows "
                     "policy (no false promises, hands off when needed) and has an appropriate tone? Judge the "
                     "content, not the length or the order.")

REPAIR = "Your answer could not be used ({problem}). Answer again with only the JSON object in the format asked for."


def conversation_text(turns: Iterable[Turn | Mapping[str, str]]) -> str:
    lines = []
    for turn in turns:
        role, text = (turn.role, turn.text) if isinstance(turn, Turn) else (turn["role"], turn["text"])
        lines.append(f"{ROLE_NAMES.get(role, role)}: {' '.join(text.split())}")
    return "\n".join(lines) if lines else "(the conversation starts with this reply)"


def criterion_prompt(
    context: Iterable[Turn], reply: str, criterion: str, description: str = "", low: int = 1, high: int = 5,
    reference: str | None = None, template: str = CRITERION,
) -> str:
    reference_block = REFERENCE_BLOCK.format(reference=reference) if reference is not None else ""
    return template.format(conversation=conversation_text(context), reply=reply, criterion=criterion,
                           description=description, low=low, high=high, reference_block=reference_block)


def pairwise_prompt(
    context: Iterable[Turn], first: str, second: str, question: str = PAIRWISE_QUESTION, template: str = PAIRWISE,
) -> str:
    return template.format(conversation=conversation_text(context), first=first, second=second, question=question)
