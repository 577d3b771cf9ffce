#!/usr/bin/env python3
"""Build datasets/rated/support_ratings.jsonl: demo-domain replies with simulated human ratings.

40 agent turns of the demo set (datasets/demo/), each with 4 candidate replies drawn from five kinds: the two
recorded bots' replies, a reworded human reply (facts kept, words and order changed), a partial human reply (first
sentence only) and an off-topic human reply (from another intent). Each candidate gets a latent quality per aspect
computed from what it says (key facts of the human reply it keeps, leaked placeholders, forbidden promises,
generic macros, being off topic) plus a hidden per-candidate term no metric can see; three simulated raters with
their own bias and noise turn it into 1–5 ratings (a few missing). So overlap metrics correlate with the ratings,
but neither perfectly nor uniformly. Deterministic: re-running rewrites the file byte for byte.

Usage: python scripts/build_rated_dataset.py [--seed 7] [--out datasets/rated/support_ratings.jsonl]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "datasets" / "demo"
DEFAULT_OUT = ROOT / "datasets" / "rated" / "support_ratings.jsonl"
N_ITEMS = 40
CANDIDATES_PER_ITEM = 4
KINDS = ("bot_v1", "bot_v2", "reworded", "partial", "off_topic")
ASPECTS = ("appropriateness", "helpfulness", "overall")
RATERS = {"r1": -0.35, "r2": 0.0, "r3": 0.3}  # rater -> leniency bias
RATER_NOISE = 0.55
HIDDEN_NOISE = 0.35  # what raters react to and no scorer sees (tone nuances, plausibility)
MISSING_RATE = 0.03

REWORDINGS = (
    ("I've", "I have"), ("I'm sorry", "Apologies"), ("sorry", "apologies"), ("requested", "asked for"),
    ("within", "in"), ("business days", "working days"), ("It should", "It will likely"),
    ("Can you", "Could you"), ("confirm", "verify"), ("help", "assist"), ("right away", "immediately"),
    ("Thanks", "Thank you"), ("let me know", "tell me"), ("get", "receive"), ("go ahead and", ""),
    ("please", "kindly"), ("in the app", "through the Lumen app"), ("I'll", "I will"), ("you're", "you are"),
)
GENERIC = re.compile(r"help center|try again later|contact the merchant|for more information|we value", re.I)
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|\[[A-Z_]+\]")
PROMISE = re.compile(r"\bguarantee", re.I)
FACT = re.compile(r"\$?\d[\d,./:]*|\b(?:January|February|March|April|May|June|July|August|September|October|"
                  r"November|December)\b")
STOP = frozenset(re.findall(r"\S+", "about after again also been before being could from have here just like more once "
                                     "only other over please should some that their them then there these they this "
                                     "those very what when where which while will with would your you're you'll "
                                     "thank thanks sorry"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def reword(text: str) -> str:
    parts = sentences(text)
    if len(parts) > 2:
        parts = [parts[0], *reversed(parts[1:])]
    out = " ".join(parts)
    for old, new in REWORDINGS:
        out = re.sub(rf"\b{re.escape(old)}\b", new, out)
    return re.sub(r"\s+", " ", out).strip()


def partial(text: str) -> str:
    parts = sentences(text)
    if len(parts) > 1:
        return parts[0]
    words = text.split()
    return " ".join(words[: max(4, len(words) // 2)]) + "…"


def key_facts(text: str) -> set[str]:
    facts = {m.lower().rstrip(".,") for m in FACT.findall(text)}
    if facts:
        return facts
    return {w for w in re.findall(r"[a-z]{5,}", text.lower()) if w not in STOP}


def fact_recall(reference: str, candidate: str) -> float:
    facts = key_facts(reference)
    if not facts:
        return 0.5
    lowered = candidate.lower()
    return sum(f in lowered for f in facts) / len(facts)


def latent(kind: str, reference: str, text: str, hidden: float) -> dict[str, float]:
    recall = fact_recall(reference, text)
    flaws = {"placeholder": bool(PLACEHOLDER.search(text)), "promise": bool(PROMISE.search(text)),
             "generic": bool(GENERIC.search(text)), "short": len(text.split()) < 7}
    helpful = 1.3 + 3.2 * recall
    appropriate = 4.4
    if kind == "off_topic":
        helpful, appropriate = 1.2, appropriate - 2.0
    helpful -= 0.9 * flaws["placeholder"] + 0.6 * flaws["promise"] + 0.7 * flaws["generic"] + 0.4 * flaws["short"]
    appropriate -= 1.8 * flaws["placeholder"] + 1.6 * flaws["promise"] + 0.5 * flaws["generic"] + 0.5 * flaws["short"]
    helpful, appropriate = helpful + hidden, appropriate + 0.7 * hidden
    return {"appropriateness": appropriate, "helpfulness": helpful,
            "overall": 0.55 * helpful + 0.45 * appropriate + 0.3 * hidden}


def rate(rng: Random, quality: float, bias: float) -> int | None:
    if rng.random() < MISSING_RATE:
        return None
    return int(min(5, max(1, round(quality + bias + rng.gauss(0, RATER_NOISE)))))


def build(seed: int) -> list[dict]:
    rng = Random(seed)
    transcripts = read_jsonl(DEMO / "transcripts.jsonl")
    replies = {kind: {r["case_id"]: r["text"] for r in read_jsonl(DEMO / f"replies_{kind}.jsonl")}
               for kind in ("bot_v1", "bot_v2")}
    cases = []
    for t in transcripts:
        for i, turn in enumerate(t["turns"]):
            if turn["role"] == "agent" and len(turn["text"].split()) >= 12:
                cases.append({"id": f"{t['id']}:{i}", "context": t["turns"][:i], "reference": turn["text"],
                              "intent": t["meta"]["intent"]})
    chosen = sorted(rng.sample(cases, N_ITEMS), key=lambda c: c["id"])
    items = []
    for case in chosen:
        others = [c for c in cases if c["intent"] != case["intent"]]
        pool = {"bot_v1": replies["bot_v1"].get(case["id"]), "bot_v2": replies["bot_v2"].get(case["id"]),
                "reworded": reword(case["reference"]), "partial": partial(case["reference"]),
                "off_topic": rng.choice(others)["reference"]}
        kinds = [k for k in KINDS if pool[k]]
        candidates = []
        for kind in sorted(rng.sample(kinds, CANDIDATES_PER_ITEM), key=KINDS.index):
            quality = latent(kind, case["reference"], pool[kind], rng.gauss(0, HIDDEN_NOISE))
            ratings = {a: [rate(rng, quality[a], bias) for bias in RATERS.values()] for a in ASPECTS}
            candidates.append({"id": kind, "text": pool[kind], "ratings": ratings})
        items.append({"id": case["id"],
                      "context": [{"role": t["role"], "text": t["text"]} for t in case["context"]],
                      "reference": case["reference"], "candidates": candidates, "meta": {"intent": case["intent"]}})
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    items = build(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="\n") as out:
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"wrote {len(items)} items x {CANDIDATES_PER_ITEM} candidates to {args.out}")


if __name__ == "__main__":
    main()
