"""Where the tests' data lives, and small transcript files the tests write themselves.

Real data (Twitter care, ABCD, FED) is read from ../shared/data beside the checkout, never copied into the project;
tests that read it carry the `shared_data` marker and fail with a clear message when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
TWITTER_DEV = SHARED_DATA / "ibm-twitter-care" / "dev.json"
ABCD_SAMPLE = SHARED_DATA / "abcd" / "data" / "abcd_sample.json"
FED = SHARED_DATA / "fed" / "fed_data.json"
DEMO = PROJECT_ROOT / "datasets" / "demo"


def write_transcripts(path: Path) -> Path:
    """Four short conversations, six agent turns, one of which makes EchoBot fail."""
    rows = [
        ("c1", [("customer", "my card was charged twice"), ("agent", "I will refund the second charge")]),
        ("c2", [("customer", "where is my transfer"), ("agent", "it left yesterday"), ("customer", "thanks"),
                ("agent", "you are welcome")]),
        ("c3", [("customer", "please fail here"), ("agent", "sorry, let me check")]),
        ("c4", [("customer", "hi"), ("system", "account verified"), ("agent", "hello, how can I help?"),
                ("customer", "close my account"), ("agent", "I can do that for you")]),
    ]
    with path.open("w") as out:
        for i, (tid, turns) in enumerate(rows):
            out.write(json.dumps({"id": tid, "turns": [{"role": r, "text": t} for r, t in turns],
                                  "meta": {"company": "acme", "intent": "billing" if i % 2 else "account"}}) + "\n")
    return path
