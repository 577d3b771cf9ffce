"""Credentials kept out of everything evalkit stores: error texts quote servers, and servers quote requests.

Always on, redaction or not: a key echoed by an endpoint's error body must reach no results log, report or store.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

SECRET = "<SECRET>"
_LOOKS_LIKE = re.compile("|".join((
    r"(?i)\bbearer\s+[\w.~+/=-]{8,}",                      # an Authorization header's value
    r"\b(?:sk|pk|rk)-[\w-]{16,}",                          # OpenAI-style keys (sk-..., sk-proj-...)
    r"\bsk-ant-[\w-]{16,}", r"\bhf_[A-Za-z0-9]{20,}",      # Anthropic, Hugging Face
    r"\bgh[pousr]_[A-Za-z0-9]{20,}", r"\bAKIA[0-9A-Z]{16}\b", r"\bAIza[\w-]{30,}",  # GitHub, AWS, Google
)))
# key=..., "api_key": "...": the value after a name that says it is secret.
_NAMED = re.compile(r"(?i)(\b(?:api[_-]?key|access[_-]?token|token|secret|password|passwd)[\"']?\s*[:=]\s*[\"']?)"
                    r"[^\s\"',;&]{6,}")
_SECRET_VARIABLE = re.compile(r"(?i)(KEY|TOKEN|SECRET|PASSWORD|PASSWD)")


def environment_secrets() -> list[str]:
    """Values of environment variables named like credentials (OPENAI_API_KEY, HF_TOKEN, ...), longest first."""
    return sorted({v for k, v in os.environ.items() if _SECRET_VARIABLE.search(k) and len(v) >= 8}, key=len,
                  reverse=True)


def scrub_secrets(text: str, known: Iterable[str] = ()) -> str:
    for value in known:
        text = text.replace(value, SECRET)
    text = _LOOKS_LIKE.sub(SECRET, text)
    return _NAMED.sub(lambda m: m.group(1) + SECRET, text)
