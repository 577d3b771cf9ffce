"""Training data for the classifiers evalkit ships recipes for, made from transcripts any loader reads.

- appropriateness: does this reply fit this conversation? Positives are the real (context, agent reply) pairs;
  negatives are agent replies from other conversations, half of them (the hard ones) from the same company, so
  the model must read the conversation rather than recognise a company's house style.
- handoff_reply: does this agent reply hand the customer over to a human? Agent turns labelled by `meta.handoff`.
(handoff_request and intent read labelled files directly: evalkit.classifiers.data.read_labelled.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from evalkit.classifiers.data import LabelledData
from evalkit.errors import InvalidData
from evalkit.loaders.base import Loader
from evalkit.replay import expand
from evalkit.scorers.classifier import context_text
from evalkit.transcript import Transcript

YES, NO = "yes", "no"


def appropriateness_pairs(dataset: Loader, negatives: int = 4, hard_negatives: int = 4, hard_key: str = "company",
                          context_turns: int | None = 3, seed: int = 0) -> LabelledData:
    return pairs_from(dataset.load().transcripts, negatives, hard_negatives, hard_key, context_turns, seed,
                      source=dataset.name)


def pairs_from(transcripts: Sequence[Transcript], negatives: int = 4, hard_negatives: int = 4,
               hard_key: str = "company", context_turns: int | None = 3, seed: int = 0,
               source: str = "") -> LabelledData:
    # The hard key must be a slice of the cases: without it every case's key was "" and the "same company"
    # negatives were drawn from every company.
    cases = list(expand(transcripts, slice_keys=(hard_key,) if any(t.meta.get(hard_key) is not None
                                                                    for t in transcripts) else ()))
    if len({c.transcript_id for c in cases}) < 2:
        raise InvalidData(f"{source}: appropriateness needs agent replies from at least two conversations")
    rng = np.random.default_rng(seed)
    owners = np.array([c.transcript_id for c in cases], dtype=object)
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, case in enumerate(cases):
        by_key[str(case.slices.get(hard_key, ""))].append(i)
    texts, contexts, labels, groups = [], [], [], []

    def add(i: int, j: int, label: str) -> None:
        contexts.append(context_text(cases[i].context, context_turns))
        texts.append(cases[j].reference.text)
        labels.append(label)
        groups.append(cases[i].transcript_id)

    for i, case in enumerate(cases):
        add(i, i, YES)
        others = np.flatnonzero(owners != case.transcript_id)
        for j in rng.choice(others, min(negatives, len(others)), replace=False):
            add(i, int(j), NO)
        same = [j for j in by_key[str(case.slices.get(hard_key, ""))] if owners[j] != case.transcript_id]
        for j in rng.choice(same, min(hard_negatives, len(same)), replace=False) if same else ():
            add(i, int(j), NO)
    return LabelledData(tuple(texts), tuple(contexts), tuple(labels), tuple(groups), source=source)


def handoff_reply_examples(dataset: Loader, context_turns: int | None = 3) -> LabelledData:
    texts, contexts, labels, groups = [], [], [], []
    for case in expand(dataset.load().transcripts):
        if "handoff" not in case.reference.meta:
            continue
        texts.append(case.reference.text)
        contexts.append(context_text(case.context, context_turns))
        labels.append(YES if case.reference.meta["handoff"] else NO)
        groups.append(case.transcript_id)
    if len(set(labels)) < 2:
        raise InvalidData(f"{dataset.name}: handoff_reply needs agent turns with meta.handoff true and false")
    return LabelledData(tuple(texts), tuple(contexts), tuple(labels), tuple(groups), source=dataset.name)
