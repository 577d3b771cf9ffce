"""Text normalisation applied before comparing replies, so handles, links and sign-offs do not count as content."""

from __future__ import annotations

import re
from functools import lru_cache

_HANDLE = re.compile(r"(?<!\w)@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
# Twitter care agents sign off with initials or a name: "*SR", "^SA", "-Tom", "^CharlesOpacki".
_SIGNOFF = re.compile(r"\s*(?:[\^*]\s?[A-Za-z]{1,20}|-\s?[A-Z][a-z]{1,15})\s*$")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)  # pure, and every scorer of a batch normalises the same texts
def normalize_reply(text: str) -> str:
    text = _HANDLE.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _SIGNOFF.sub("", text.strip())
    return _SPACES.sub(" ", text).strip()
