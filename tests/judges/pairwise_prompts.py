"""Reading the pairwise judge's prompt as a scripted judge must: which shown reply is the candidate, and where."""

from __future__ import annotations

HUMAN = "Your card ending 0450 expired; activate the replacement ending 0512 in the app."


def shown(prompt: str, letter: str) -> str:
    return prompt.split(f"Reply {letter}:\n<<<\n")[1].split("\n>>>")[0]


def positions(prompt: str) -> tuple[str, str, str]:
    """(the candidate's text, its letter, the human reply's letter): the candidate is the reply that is not HUMAN."""
    a, b = shown(prompt, "A"), shown(prompt, "B")
    candidate, letter = (a, "A") if a != HUMAN else (b, "B")
    return candidate, letter, "B" if letter == "A" else "A"
