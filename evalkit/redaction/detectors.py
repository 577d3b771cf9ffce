"""Finding personal data in text: where each value is and what kind it is.

Validation comes from the libraries that own it: phone numbers from `phonenumbers` (Google's libphonenumber),
card numbers by Luhn checksum, IBANs by their mod-97 checksum and national ids by their own check digits (all
`python-stdnum`), IP addresses by the standard library. E-mails, social handles and configured patterns are regular
expressions. Each text is first screened by one cheap pattern, so the validators only see the few texts that can
hold a value.

Not covered: names and postal addresses, which need a named-entity model; none with verifiable provenance can be
installed from the package registries here (spaCy's models are published outside PyPI).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module

from evalkit.errors import InvalidData

KINDS = ("email", "phone", "card", "iban", "national_id", "ip", "handle")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # a KINDS entry or a configured pattern's name

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_HANDLE = re.compile(r"(?<![\w@.])@(\w{1,30})\b")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])")
_URL = re.compile(r"https?://\S+|www\.\S+")
# Where a phone number could be: seven or more digits with the separators numbers are written with. Only these
# stretches are given to libphonenumber, whose matcher costs a millisecond on every text it reads whole.
_PHONE_CANDIDATE = re.compile(r"\+?\(?\d[\d \t().\-/]{5,}\d")
# Digits inside a link are ids and timestamps (web.archive.org/web/20200401225851/...), not cards or phones.
_NOT_IN_LINKS = frozenset({"card", "phone", "national_id", "ip", "iban"})
# "beta (1.16.0.53)", "version 10.0.0.1": a version number, though a valid IPv4 address.
_VERSION_BEFORE = re.compile(r"(?i)\b(?:version|ver|v|beta|build|release|update[ds]?|firmware)\W{0,3}$")
# Anything that could hold a value: an @, a digit run, an IBAN's country code and check digits, an IPv6 group.
_SCREEN = re.compile(r"@|\d{2}|\b[A-Z]{2}\d{2}|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:")

# National ids, in their written forms only (a bare 9-digit run is more often an order number): the stdnum module
# that validates the check digits, and the pattern that finds candidates.
NATIONAL_IDS: Mapping[str, str] = {
    "us.ssn": r"\b\d{3}-\d{2}-\d{4}\b",
    "ca.sin": r"(?<!\d)(?<!\d[ -])\d{3}[ -]\d{3}[ -]\d{3}(?![\d-]| \d)",
    "br.cpf": r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b",
    "es.dni": r"\b\d{8}-?[A-Z]\b",
    "it.codicefiscale": r"\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b",
    "in.aadhaar": r"(?<!\d)(?<!\d[ -])\d{4} \d{4} \d{4}(?![\d-]| \d)",  # not the first 12 digits of a card
}


class Detectors:
    """The configured detectors. Unknown kinds, national ids or bad patterns are bad input, named in one line."""

    def __init__(self, kinds: Sequence[str] = KINDS, phone_regions: Sequence[str] = ("US", "GB"),
                 national_ids: Sequence[str] = tuple(NATIONAL_IDS), patterns: Mapping[str, str] | None = None,
                 keep_handles: Iterable[str] = ()):
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise InvalidData(f"redaction.kinds: unknown {unknown} (known: {', '.join(KINDS)})")
        unknown = [n for n in national_ids if n not in NATIONAL_IDS]
        if unknown:
            raise InvalidData(f"redaction.national_ids: unknown {unknown} (known: {', '.join(NATIONAL_IDS)})")
        self.kinds = tuple(kinds)
        self.phone_regions = tuple(phone_regions)  # how numbers written without a +country code are read
        self.keep_handles = frozenset(h.lower().lstrip("@") for h in keep_handles)  # support accounts: no person's
        self._patterns = {}
        for name, pattern in (patterns or {}).items():
            try:
                self._patterns[name] = re.compile(pattern)
            except re.error as err:
                raise InvalidData(f"redaction.patterns.{name}: bad regex {pattern!r}: {err}") from None
        # stdnum's India package is `in_`: `in` is a Python keyword.
        # Support data repeats itself (templated replies, greetings): each distinct text is searched once.
        self._find = lru_cache(maxsize=1 << 14)(self._spans)
        self._ids = [(import_module(f"stdnum.{m.replace('in.', 'in_.', 1)}").is_valid, re.compile(NATIONAL_IDS[m]))
                     for m in national_ids]

    def find(self, text: str) -> tuple[Span, ...]:
        """The values in the text, longest first where two candidates overlap, in text order."""
        return self._find(text)

    def _spans(self, text: str) -> tuple[Span, ...]:
        found = [Span(m.start(), m.end(), name) for name, pattern in self._patterns.items()
                 for m in pattern.finditer(text)]
        if _SCREEN.search(text):
            for kind in self.kinds:
                found += list(_FINDERS[kind](self, text))
        links = [Span(m.start(), m.end(), "link") for m in _URL.finditer(text)]
        found = [s for s in found if s.kind not in _NOT_IN_LINKS or not any(s.overlaps(link) for link in links)]
        kept: list[Span] = []
        for span in sorted(found, key=lambda s: (-(s.end - s.start), s.start)):
            if not any(span.overlaps(k) for k in kept):
                kept.append(span)
        return tuple(sorted(kept, key=lambda s: s.start))

    def _emails(self, text: str) -> Iterator[Span]:
        return (Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(text))

    def _handles(self, text: str) -> Iterator[Span]:
        return (Span(m.start(), m.end(), "handle") for m in _HANDLE.finditer(text)
                if m.group(1).lower() not in self.keep_handles)

    def _phones(self, text: str) -> Iterator[Span]:
        import phonenumbers

        for candidate in _PHONE_CANDIDATE.finditer(text):
            if sum(c.isdigit() for c in candidate.group(0)) < 7:
                continue
            for region in self.phone_regions:
                for m in phonenumbers.PhoneNumberMatcher(candidate.group(0), region,
                                                         leniency=phonenumbers.Leniency.VALID):
                    yield Span(candidate.start() + m.start, candidate.start() + m.end, "phone")

    def _cards(self, text: str) -> Iterator[Span]:
        from stdnum import luhn

        for m in _CARD.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
                yield Span(m.start(), m.end(), "card")

    def _ibans(self, text: str) -> Iterator[Span]:
        from stdnum import iban

        for m in _IBAN.finditer(text):
            if iban.is_valid(m.group(0)):
                yield Span(m.start(), m.end(), "iban")

    def _national_ids(self, text: str) -> Iterator[Span]:
        for is_valid, pattern in self._ids:
            yield from (Span(m.start(), m.end(), "national_id") for m in pattern.finditer(text) if is_valid(m.group(0)))

    def _ips(self, text: str) -> Iterator[Span]:
        for pattern in (_IPV4, _IPV6):
            for m in pattern.finditer(text):
                try:
                    ipaddress.ip_address(m.group(0))
                except ValueError:
                    continue
                if not _VERSION_BEFORE.search(text[max(0, m.start() - 20):m.start()]):
                    yield Span(m.start(), m.end(), "ip")


_FINDERS: Mapping[str, Callable[[Detectors, str], Iterator[Span]]] = {
    "email": Detectors._emails, "phone": Detectors._phones, "card": Detectors._cards, "iban": Detectors._ibans,
    "national_id": Detectors._national_ids, "ip": Detectors._ips, "handle": Detectors._handles,
}
