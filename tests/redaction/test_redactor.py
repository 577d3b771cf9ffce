"""What is redacted, what is not, and how placeholders stay stable within a conversation."""

from __future__ import annotations

import pytest

from evalkit.errors import InvalidData
from evalkit.redaction.detectors import Detectors
from evalkit.redaction.redactor import Redactor
from evalkit.redaction.secrets import scrub_secrets
from evalkit.reply import Reply
from evalkit.transcript import Transcript, Turn


def kinds(text: str, **settings) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start:s.end]) for s in Detectors(**settings).find(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("write to Maria.G+x@mail.example.co.uk now", [("email", "Maria.G+x@mail.example.co.uk")]),
    ("call +44 20 7946 0958 or (212) 555-0134", [("phone", "+44 20 7946 0958"), ("phone", "(212) 555-0134")]),
    ("card 4539 1488 0343 6467 ok", [("card", "4539 1488 0343 6467")]),
    ("iban DE89370400440532013000", [("iban", "DE89370400440532013000")]),
    ("ssn 123-45-6789, sin 130 692 544", [("national_id", "123-45-6789"), ("national_id", "130 692 544")]),
    ("from 203.0.113.77 and 2001:db8::1:0:0:1", [("ip", "203.0.113.77")]),
    ("hey @maria_g1987 ok", [("handle", "@maria_g1987")]),
])
def test_each_kind_is_found(text: str, expected: list[tuple[str, str]]):
    assert kinds(text) == expected


@pytest.mark.parametrize("text", [
    "card 4539 1488 0343 6468",  # fails the Luhn check: an order number, not a card
    "iban DE89370400440532013001",  # fails mod-97
    "see https://web.archive.org/web/20200401225851/https://x.com/1-800-848-9136",  # digits inside a link
    "updated to beta (1.16.0.53) today",  # a version, though a valid IPv4 address
    "ssn 000-12-3456",  # no such SSN
    "my order 123456 arrived on 2020-03-01",
])
def test_look_alikes_are_left(text: str):
    assert kinds(text) == []


def test_support_accounts_and_configured_handles_stay_readable():
    assert kinds("@AppleSupport thanks @bob", keep_handles=["applesupport"]) == [("handle", "@bob")]


def test_configured_patterns_and_bad_settings():
    assert kinds("order ORD-123456 late", patterns={"order_id": r"\bORD-\d{6}\b"}) == [("order_id", "ORD-123456")]
    for settings, where in (({"kinds": ["email", "dna"]}, "redaction.kinds"), ({"national_ids": ["xx.id"]},
                            "redaction.national_ids"), ({"patterns": {"x": "("}}, "redaction.patterns.x")):
        with pytest.raises(InvalidData, match=where):
            Detectors(**settings)
    with pytest.raises(InvalidData, match=r"redaction\.bot_sees"):
        Redactor(bot_sees="both")


def conversation() -> Transcript:
    return Transcript("c1", (
        Turn("customer", "@AcmeHelp I'm maria@x.com, card 4539 1488 0343 6467"),
        Turn("agent", "Thanks @maria_g, card 4539-1488-0343-6467 is blocked; we wrote to MARIA@X.COM",
             {"speaker": "AcmeHelp"}),
        Turn("customer", "also bob@y.org please"),
    ))


def test_placeholders_are_stable_within_a_conversation():
    redactor = Redactor()
    redactor.keep_agent_accounts(["AcmeHelp"])  # what a run finds as the `speaker` of its dataset's agent turns
    (red,) = redactor.transcripts([conversation()])
    assert [t.text for t in red.turns] == [
        "@AcmeHelp I'm <EMAIL_1>, card <CARD_1>",  # the agents' own account stays: it is no person's
        "Thanks <HANDLE_1>, card <CARD_1> is blocked; we wrote to <EMAIL_1>",  # same values, same placeholders
        "also <EMAIL_2> please",
    ]
    reply = redactor.reply("c1", Reply("sending to maria@x.com and to carol@z.net"))
    assert reply.text == "sending to <EMAIL_1> and to <EMAIL_3>"  # a value the conversation never had: next number
    assert redactor.reply("c1", Reply("carol@z.net")).text == "<EMAIL_3>"  # numbered for each reply alone


def test_redaction_off_keeps_text_but_never_secrets(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MY_SERVICE_API_KEY", "opaque-value-1234567")
    redactor = Redactor(enabled=False)
    (same,) = redactor.transcripts([conversation()])
    assert same == conversation()
    failed = redactor.reply("c1", Reply.failed("HTTP 401: key opaque-value-1234567 rejected; Bearer abcdefgh12345"))
    assert failed.error == "HTTP 401: key <SECRET> rejected; <SECRET>"


@pytest.mark.parametrize("leak", ["sk-proj-abcdefghijklmnop1234", "Bearer eyJhbGciOiJIUzI1NiJ9.x",
                                  "hf_abcdefghijklmnopqrstuvwx", "api_key=abcdef123456", '"password": "hunter2hunter2"',
                                  "AKIAABCDEFGHIJKLMNOP"])
def test_secret_shapes_are_scrubbed(leak: str):
    scrubbed = scrub_secrets(f"error: {leak} was refused")
    assert "<SECRET>" in scrubbed and leak.split()[-1].strip('"') not in scrubbed
