"""Text normalisation applied before comparing replies, so handles, links and sign-offs do not count as content."""

from __future__ import annotations

import re
from functools import lru_cache

# The placeholders evalkit.redaction writes for personal data: <EMAIL_1>, <NATIONAL_ID_2>. Not template slots.
REDACTED = r"<[A-Z][A-Z_]*_\d+>"
# A redacted handle is a handle too: dropped where handles are.
_HANDLE = re.compile(r"(?<!\w)@\w+|<HANDLE_\d+>")
_URL = re.compile(r"https?://\S+|www\.\S+")
# Archived links wrap the real one ("web.archive.org/web/2020.../https://support.zoom.us/..."): keep the real one.
_ARCHIVE = re.compile(r"https?://web\.archive\.org/web/\w+/")
_URL_NOISE = {"http", "https", "www", "com", "org", "net", "html", "htm", "php", "aspx", "en", "us", "hc", "td", "t5"}
_URL_WORD = re.compile(r"[A-Za-z]{2,}")
# Twitter care agents sign off with initials or a name: "*SR", "^SA", "-Tom", "^CharlesOpacki".
_SIGNOFF = re.compile(r"\s*(?:[\^*]\s?[A-Za-z]{1,20}|-\s?[A-Z][a-z]{1,15})\s*$")
_SPACES = re.compile(r"\s+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def url_words(url: str) -> str:
    """The words of a link ("support zoom Wireless WiFi Connection Issues"): what it points at, without ids."""
    path = url.split("?", 1)[0]
    return " ".join(w for w in _URL_WORD.findall(path) if w.lower() not in _URL_NOISE)


def handle_words(handle: str) -> str:
    """"@AdobeCare" -> "Adobe Care", "@zoom_us" -> "zoom us": whom the customer is talking to, as words (a redacted
    handle says nothing)."""
    if handle.startswith("<"):
        return ""
    return " ".join(_CAMEL.findall(handle.lstrip("@").replace("_", " ")))


@lru_cache(maxsize=1 << 16)  # pure, and every scorer of a batch normalises the same texts
def normalize_reply(text: str, keep_url_words: bool = False, keep_handle_words: bool = False) -> str:
    """Drop @handles, sign-offs and links; with keep_url_words a link becomes the words of its address, since
    which help page a reply points to is content (which customer it addresses is not). keep_handle_words is
    for conversations, not replies: there "@AdobeCare" says which company the customer wrote to."""
    text = _HANDLE.sub((lambda m: f" {handle_words(m.group(0))} ") if keep_handle_words else " ", text)
    if keep_url_words:
        text = _URL.sub(lambda m: f" {url_words(m.group(0))} ", _ARCHIVE.sub("https://", text))
    else:
        text = _URL.sub(" ", text)
    text = _SIGNOFF.sub("", text.strip())
    return _SPACES.sub(" ", text).strip()
