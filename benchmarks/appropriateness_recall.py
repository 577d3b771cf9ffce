"""Appropriateness on held-out conversations: TF-IDF similarity, zero-shot MiniLM similarity, the pair-feature
logistic regression (classifier=pair) and MiniLM fine-tuned on the pairs (classifier=pair_encoder, what
`evalkit train recipe=appropriateness` fits), on the same splits.

Split by conversation: the classifier is trained on the train conversations' pairs only. For every agent turn of
a test conversation, the candidates are its true reply and 9 replies from other test conversations: in the mixed
setting from any company, in the same-company setting all from the case's own company (cases whose company has
fewer than 9 other test conversations are left out of it). Distractors whose normalised text equals the true
reply's are never drawn (they cannot be told apart). recall@1/10 is how often the true reply ranks first, a tie
for first among k candidates counting 1/k; ROC-AUC is over all (context, candidate) pairs.

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

from evalkit.classifiers.pair_encoder import PairEncoder
from evalkit.classifiers.pipelines import pair_logreg
from evalkit.classifiers.recipes import YES, pairs_from
from evalkit.loaders.twitter_care import TwitterCareLoader
from evalkit.local_models.embeddings import encode
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


def candidate_sets(cases, seed: int, same_key: str | None = None) -> list[list[int]]:
    """Per case (that has enough distractors): its index, then 9 distractors' indices."""
    rng = np.random.default_rng(seed)
    owners = np.array([c.transcript_id for c in cases], dtype=object)
    keys = np.array([c.slices.get(same_key, "") if same_key else "" for c in cases], dtype=object)
    texts = np.array([_reply(c.reference.text) for c in cases], dtype=object)
    sets = []
    for i, case in enumerate(cases):
        pool = np.flatnonzero((owners != case.transcript_id) & (keys == keys[i]) & (texts != texts[i]))
        if len(pool) >= CANDIDATES - 1:
            sets.append([i, *rng.choice(pool, CANDIDATES - 1, replace=False).tolist()])
    return sets


def recall_at_1(scores: np.ndarray) -> float:
    """scores: (n_cases, CANDIDATES), true reply in column 0; a tie for first among k counts 1/k (a constant
    scorer gets 1/CANDIDATES, not 1)."""
    tied = np.isclose(scores, scores.max(axis=1, keepdims=True), rtol=0, atol=1e-12)
    return float(np.mean(tied[:, 0] / tied.sum(axis=1)))


def evaluate(scores: np.ndarray) -> tuple[float, float]:
    labels = np.zeros_like(scores)
    labels[:, 0] = 1
    return recall_at_1(scores), float(roc_auc_score(labels.ravel(), scores.ravel()))


def _context(text: str) -> str:  # as the classifier's PairFeatures normalises them
    return normalize_reply(text, keep_url_words=True, keep_handle_words=True)


def _reply(text: str) -> str:
    return normalize_reply(text, keep_url_words=True)


SETTINGS = {"mixed": None, "same company": "company"}
# The recipe's negatives (configs/recipe/appropriateness.yaml) and, for comparison, those it drew before the
# same-company draw was fixed: the "hard" half then came from every company (the case slices lacked the key);
# then the model: pair features + logistic regression (classifier=pair) or the fine-tuned encoder (the recipe's).
BEFORE = dict(negatives=4, hard_negatives=4, hard_key="")
RECIPE = dict(negatives=2, hard_negatives=8, hard_key="company")
RECIPES = {
    "pair features + logistic regression (negatives before: 4 + 4 from any company)":
        (BEFORE, lambda seed: pair_logreg()),
    "pair features + logistic regression (recipe's negatives: 2 any + 8 same company)":
        (RECIPE, lambda seed: pair_logreg()),
    "MiniLM fine-tuned on the pairs (classifier=pair_encoder, the recipe's)":
        (RECIPE, lambda seed: PairEncoder(seed=seed)),
}


def run_split(transcripts, seed: int, test_fraction: float) -> dict[str, dict[str, tuple[float, float]]]:
    """setting -> scorer -> (recall@1/10, ROC-AUC) on one split."""
    train, test = split(transcripts, test_fraction, seed)
    cases = list(expand(test, slice_keys=("company",)))
    contexts = [context_text(c.context, CONTEXT_TURNS) for c in cases]
    replies = [c.reference.text for c in cases]
    train_cases = list(expand(train))
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit(
        [_context(context_text(c.context, CONTEXT_TURNS)) for c in train_cases]
        + [_reply(c.reference.text) for c in train_cases])
    models = {}
    for name, (negatives, make_model) in RECIPES.items():
        data = pairs_from(train, context_turns=CONTEXT_TURNS, seed=seed, **negatives)
        began = time.perf_counter()
        models[name] = make_model(seed=seed).fit(data.frame(), np.asarray(data.labels))
        print(f"split {seed}: {name} fitted on {len(data)} pairs in {time.perf_counter() - began:.0f} s", flush=True)
    results: dict[str, dict[str, tuple[float, float]]] = {}
    for setting, key in SETTINGS.items():
        sets = candidate_sets(cases, seed, key)
        ctx_of = [contexts[s[0]] for s in sets for _ in s]
        rep_of = [replies[j] for s in sets for j in s]
        shape = (len(sets), CANDIDATES)
        norm = [_context(t) for t in ctx_of], [_reply(t) for t in rep_of]
        a, b = tfidf.transform(norm[0]), tfidf.transform(norm[1])
        row = {"TF-IDF cosine": evaluate(np.asarray(a.multiply(b).sum(axis=1)).reshape(shape))}
        u, v = encode(norm[0]), encode(norm[1])
        row["MiniLM cosine (zero-shot)"] = evaluate(np.einsum("ij,ij->i", u, v).reshape(shape))
        for name, model in models.items():
            proba = model.predict_proba(model_input(rep_of, ctx_of))[:, list(model.classes_).index(YES)]
            row[name] = evaluate(proba.reshape(shape))
        row["n candidate sets"] = (float(len(sets)), float("nan"))
        results[setting] = row
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
        "- candidates: the true reply + 9 agent replies from other held-out conversations — *mixed*: of any company; "
        "*same company*: all of the case's own company (cases of companies with fewer than 9 other held-out "
        "conversations left out); a distractor is never the true reply's own text; a tie for first among k "
        "candidates counts 1/k",
        "- replies normalised (@handles and sign-offs dropped, links reduced to the words of their address); in the "
        "conversation, @handles become words (which company the customer wrote to)",
        f"- machine: {os.cpu_count()} CPUs, {cpu_model()}, {platform.python_version()}; "
        f"date {datetime.date.today().isoformat()}; {elapsed:.0f} s in all", "",
        "| scorer | mixed recall@1/10 | mixed ROC-AUC | same-company recall@1/10 | same-company ROC-AUC "
        "| per split recall@1 (mixed; same company) |", "|---|---|---|---|---|---|",
    ]
    for name in per_split[0]["mixed"]:
        cells, splits = [], []
        for setting in SETTINGS:
            recalls = [r[setting][name][0] for r in per_split]
            aucs = [r[setting][name][1] for r in per_split]
            if name == "n candidate sets":
                cells += [f"{np.mean(recalls):.0f} per split", ""]
                continue
            cells += [f"{np.mean(recalls):.3f}", f"{np.mean(aucs):.3f}"]
            splits.append(", ".join(f"{x:.3f}" for x in recalls))
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {'; '.join(splits)} |")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)



if __name__ == "__main__":
    main()
