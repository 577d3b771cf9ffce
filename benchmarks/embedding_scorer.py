"""Embedding scorer throughput vs raw SentenceTransformer.encode of the same texts, in the same process.

2,000 (reply, reference) pairs from the Twitter care dev set: the human replies as references and the retrieval
baseline's replies (nearest past reply from another conversation) as candidates. The peer encodes the same
4,000 texts with the same model, batch size and normalisation in one call; the ratio is evalkit's rate over the
peer's. The first call of each warms up (model load, allocator), then each is timed `--repeats` times, alternating.

    PYTHONPATH=$PWD python benchmarks/embedding_scorer.py [--pairs 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from dataclasses import replace
from pathlib import Path

from machine_info import cpu_model

from evalkit.bots.retrieval import RetrievalBot
from evalkit.loaders.twitter_care import TwitterCareLoader
from evalkit.local_models.device import resolve_device
from evalkit.local_models.embeddings import sentence_model
from evalkit.replay import expand
from evalkit.scorers.embedding import EmbeddingSimilarity
from evalkit.textnorm import normalize_reply

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "ibm-twitter-care" / "dev.json"


def pairs(data: str, n: int):
    transcripts = TwitterCareLoader(data).load().transcripts
    cases = list(expand(transcripts))
    replies = RetrievalBot().fit(transcripts).reply_batch(cases)
    # Repeat the set to reach n pairs, but make every text distinct (a suffix) so neither side can reuse work.
    out_cases, out_replies = [], []
    for k in range(n):
        case, reply = cases[k % len(cases)], replies[k % len(cases)]
        tag = f" #{k}"
        out_cases.append(replace(case, reference=replace(case.reference, text=case.reference.text + tag)))
        out_replies.append(replace(reply, text=(reply.text or "") + tag))
    return out_cases, out_replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "embedding_scorer.md"))
    args = parser.parse_args()
    cases, replies = pairs(args.data, args.pairs)
    scorer = EmbeddingSimilarity(batch_size=args.batch_size)
    model = sentence_model(scorer.model, scorer.device)
    texts = [normalize_reply(c.reference.text) for c in cases] + [normalize_reply(r.text or "") for r in replies]

    def raw() -> None:
        model.encode(texts, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                     show_progress_bar=False)

    def ours() -> None:
        scorer.score(cases, replies)

    raw(), ours()  # warm-up
    times: dict[str, list[float]] = {"raw": [], "evalkit": []}
    for _ in range(args.repeats):
        for name, fn in (("raw", raw), ("evalkit", ours)):
            began = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - began)
    raw_s, ours_s = statistics.median(times["raw"]), statistics.median(times["evalkit"])
    n_texts = len(texts)
    lines = [
        "# Embedding scorer vs raw SentenceTransformer.encode", "",
        f"- {args.pairs} (reply, reference) pairs = {n_texts} texts (Twitter care dev set: human replies vs the "
        "retrieval baseline's replies, every text made distinct); all-MiniLM-L6-v2, batch size "
        f"{args.batch_size}, device {resolve_device(scorer.device)}; median of {args.repeats} alternating runs",
        f"- machine: nproc {os.cpu_count()}, {cpu_model()}, Python {platform.python_version()}; "
        f"date {datetime.date.today().isoformat()}", "",
        "| | seconds | texts/s |", "|---|---|---|",
        f"| raw `SentenceTransformer.encode` | {raw_s:.2f} | {n_texts / raw_s:.0f} |",
        f"| evalkit `EmbeddingSimilarity.score` | {ours_s:.2f} | {n_texts / ours_s:.0f} |", "",
        f"**Ratio (evalkit rate / raw rate): {raw_s / ours_s:.3f}×** (target ≥ 0.9×)",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)



if __name__ == "__main__":
    main()
