from __future__ import annotations

import random

from rouge_score.rouge_scorer import RougeScorer, _lcs_table

from evalkit.scorers.rouge_lcs import lcs_length, rouge_l_fmeasure, rouge_l_tokenizer
from tests.data import DEMO


def test_bit_parallel_lcs_equals_the_table():
    rng = random.Random(0)
    for _ in range(500):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 140))]  # past 64 tokens: multi-word bit vectors
        b = [rng.choice("abcdef") for _ in range(rng.randint(0, 140))]
        assert lcs_length(a, b) == (_lcs_table(a, b)[-1][-1] if a and b else 0)


def test_rouge_l_equals_rouge_score_on_the_demo_replies():
    import json

    references = {}
    for line in (DEMO / "transcripts.jsonl").read_text().splitlines():
        t = json.loads(line)
        references.update({f"{t['id']}:{i}": turn["text"] for i, turn in enumerate(t["turns"])})
    pairs = [(references[r["case_id"]], r["text"]) for name in ("replies_bot_v1.jsonl", "replies_bot_v2.jsonl")
             for r in map(json.loads, (DEMO / name).read_text().splitlines())]
    pairs += [("", "anything"), ("the cats are running", "")]
    reference_impl, tokenizer = RougeScorer(["rougeL"], use_stemmer=True), rouge_l_tokenizer(True)
    for ref, hyp in pairs:
        expected = reference_impl.score(ref, hyp)["rougeL"].fmeasure
        assert rouge_l_fmeasure(tokenizer.tokenize(ref), tokenizer.tokenize(hyp)) == expected  # bit for bit
