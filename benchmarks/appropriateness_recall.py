"""Appropriateness on held-out conversations: TF-IDF similarity, zero-shot MiniLM similarity and the trained
appropriateness classifier (the recipe `evalkit train recipe=appropriateness` fits), on the same splits.

Split by conversation: the classifier is trained on the train conversations' pairs only. For every agent turn of
a test conversation, the candidates are its true reply and 9 replies from other test conversations; recall@1/10
is how often the true reply ranks first, ROC-AUC is over all (context, candidate) pairs.

    PYTHONPATH=$PWD python benchmarks/appropriateness_recall.py [--data PATH] [--splits 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np
from machine_info import cpu_model
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import roc_auc_score

from evalkit.classifiers.pipelines import pair_logreg
from evalkit.classifiers.recipes import YES, pairs_from
from evalkit.embeddings import encode
from evalkit.loaders.twitter_care import TwitterCareLoader
from evalkit.replay import expand
from evalkit.scorers.classifier import context_text, model_input
from evalkit.textnorm import normalize_reply

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "ibm-twitter-care" / "dev.json"
CANDIDATES = 10
CONTEXT_TURNS = None


def split(transcripts, test_fraction: float, seed: int):
    ids = sorted(t.id for t in transcripts)
    test = set(np.random.default_rng(seed).permutation(ids)[: int(len(ids) * test_fraction)])
    return [t for t in transcripts if t.id not in test], [t for t in transcripts if t.id in test]


def candidate_sets(cases, seed: int) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    owners = np.array([c.transcript_id for c in cases], dtype=object)
    return [[i, *rng.choice(np.flatnonzero(owners != c.transcript_id), CANDIDATES - 1, replace=False).tolist()]
            for i, c in enumerate(cases)]


def evaluate(scores: np.ndarray) -> tuple[float, float]:
    """scores: (n_cases, CANDIDATES), true reply in column 0."""
    recall = float(np.mean(scores.argmax(axis=1) == 0))
    labels = np.zeros_like(scores)
    labels[:, 0] = 1
    return recall, float(roc_auc_score(labels.ravel(), scores.ravel()))


def _context(text: str) -> str:  # as the classifier's PairFeatures normalises them
    return normalize_reply(text, keep_url_words=True, keep_handle_words=True)


def _reply(text: str) -> str:
    return normalize_reply(text, keep_url_words=True)


def run_split(transcripts, seed: int, test_fraction: float) -> dict[str, tuple[float, float]]:
    train, test = split(transcripts, test_fraction, seed)
    cases = list(expand(test))
    sets = candidate_sets(cases, seed)
    contexts = [context_text(c.context, CONTEXT_TURNS) for c in cases]
    replies = [c.reference.text for c in cases]
    ctx_of = [contexts[s[0]] for s in sets for _ in s]
    rep_of = [replies[j] for s in sets for j in s]
    shape = (len(sets), CANDIDATES)
    norm = [_context(t) for t in ctx_of], [_reply(t) for t in rep_of]
    train_cases = list(expand(train))
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit(
        [_context(context_text(c.context, CONTEXT_TURNS)) for c in train_cases]
        + [_reply(c.reference.text) for c in train_cases])
    a, b = tfidf.transform(norm[0]), tfidf.transform(norm[1])
    results = {"TF-IDF cosine": evaluate(np.asarray(a.multiply(b).sum(axis=1)).reshape(shape))}
    u, v = encode(norm[0]), encode(norm[1])
    results["MiniLM cosine (zero-shot)"] = evaluate(np.einsum("ij,ij->i", u, v).reshape(shape))
    data = pairs_from(train, context_turns=CONTEXT_TURNS, seed=seed)
    model = pair_logreg().fit(data.frame(), np.asarray(data.labels))
    proba = model.predict_proba(model_input(rep_of, ctx_of))[:, list(model.classes_).index(YES)]
    results["appropriateness classifier"] = evaluate(proba.reshape(shape))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--test-fraction", type=float, default=0.3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "appropriateness.md"))
    args = parser.parse_args()
    transcripts = TwitterCareLoader(args.data).load().transcripts
    began = time.perf_counter()
    per_split = [run_split(transcripts, seed, args.test_fraction) for seed in range(args.splits)]
    elapsed = time.perf_counter() - began
    lines = [
        "# Appropriateness: recall@1 among 10 candidates and ROC-AUC on held-out conversations", "",
        f"- data: `{Path(args.data).name}` ({len(transcripts)} conversations); {args.splits} random splits by "
        f"conversation, {args.test_fraction:.0%} of conversations held out each time; seeds 0..{args.splits - 1}",
        "- candidates: the true reply + 9 agent replies from other held-out conversations; replies normalised "
        "(@handles and sign-offs dropped, links reduced to the words of their address); in the conversation, "
        "@handles become words (which company the customer wrote to)",
        f"- machine: {os.cpu_count()} CPUs, {cpu_model()}, {platform.python_version()}; "
        f"date {datetime.date.today().isoformat()}; {elapsed:.0f} s in all", "",
        "| scorer | recall@1/10 (mean over splits) | ROC-AUC | per split recall@1 |", "|---|---|---|---|",
    ]
    for name in per_split[0]:
        recalls = [r[name][0] for r in per_split]
        aucs = [r[name][1] for r in per_split]
        lines.append(f"| {name} | {np.mean(recalls):.3f} | {np.mean(aucs):.3f} | "
                     + ", ".join(f"{x:.3f}" for x in recalls) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)



if __name__ == "__main__":
    main()
