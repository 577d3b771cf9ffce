"""Training data for the learned, reference-free quality scorer: (conversation, reply) pairs labelled yes/no.

Two kinds of supervision, concatenated:
- synthetic, from real support transcripts (UniEval-style): the agent's true next reply is "yes"; "no" are
  replies from other conversations of the same company or intent (plausible, wrong), from another company or
  intent (off-intent), the true reply cut short, a generic reply, the true reply with its meaning flipped, and the
  customer's own message echoed back;
- human ratings (a rated set such as FED, and what QA leads recorded: `evalkit audit pull` writes their verdicts as
  a rated set): a reply rated r on a low..top scale becomes `replicas` examples of which
  round(replicas * (r - low) / (top - low)) are "yes", so logistic regression fits the mean rating as a soft label.
Groups keep one conversation's examples in one fold: the transcript id, or for rated sets the dialogue (rated
items whose contexts share a turn come from one dialogue, as FED's consecutive turns do).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from evalkit.classifiers.data import LabelledData
from evalkit.errors import InvalidData
from evalkit.loaders.base import Loader
from evalkit.replay import Case, expand
from evalkit.scorers.classifier import context_text
from evalkit.transcript import Transcript
from evalkit.validity.rated.formats import load_rated
from evalkit.validity.rated.model import RatedItem

YES, NO = "yes", "no"
NEGATIVE_KINDS = ("same_key", "other_key", "truncated", "generic", "contradicted", "echo")
GENERIC = ("Thanks for reaching out!", "Sorry to hear that.", "Let me look into that for you.",
           "Is there anything else I can help you with?", "I understand.", "Please DM us.", "OK.",
           "Thank you for your patience.", "We're here to help!", "Can you tell me more?")
# One flip per reply, the first rule that matches: a fluent reply that now says the opposite.
_FLIPS = [(re.compile(p, re.I), r) for p, r in (
    (r"\bcan't\b|\bcannot\b", "can"), (r"\bwon't\b", "will"), (r"\bdon't\b", "do"), (r"\bisn't\b", "is"),
    (r"\bis not\b", "is"), (r"\bnot\b ", ""), (r"\bwill\b", "won't"), (r"\bcan\b", "can't"), (r"\bis\b", "isn't"),
    (r"\bhave\b", "haven't"), (r"\bdo\b", "don't"))]


def contradicted(text: str) -> str | None:
    """The reply with its first negatable verb flipped; None when no rule applies."""
    for pattern, replacement in _FLIPS:
        flipped, n = pattern.subn(replacement, text, count=1)
        if n:
            return flipped
    return None


def truncated(text: str, rng: np.random.Generator) -> str | None:
    words = text.split()
    if len(words) < 6:
        return None
    return " ".join(words[: max(2, int(len(words) * rng.uniform(0.25, 0.6)))])


def support_pairs(transcripts: Sequence[Transcript], hard_key: str = "company", per_case: int = 4,
                  kinds: Sequence[str] = NEGATIVE_KINDS, context_turns: int | None = 4, max_cases: int | None = None,
                  seed: int = 0, source: str = "") -> LabelledData:
    """The true reply of every agent turn ("yes") and `per_case` negatives of distinct kinds ("no")."""
    unknown = sorted(set(kinds) - set(NEGATIVE_KINDS))
    if unknown:
        raise InvalidData(f"quality: unknown negative kinds {unknown}; choose from {list(NEGATIVE_KINDS)}")
    rng = np.random.default_rng(seed)
    cases = list(expand(transcripts, slice_keys=(hard_key,) if _has_key(transcripts, hard_key) else ()))
    if len({c.transcript_id for c in cases}) < 2:
        raise InvalidData(f"{source}: quality needs agent replies from at least two conversations")
    if max_cases is not None and len(cases) > max_cases:
        cases = [cases[i] for i in sorted(rng.choice(len(cases), max_cases, replace=False))]
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, case in enumerate(cases):
        by_key[case.slices.get(hard_key, "")].append(i)
    texts, contexts, labels, groups, made = [], [], [], [], []
    for i, case in enumerate(cases):
        context = context_text(case.context, context_turns)
        replies = [(YES, "true", case.reference.text)]
        options = [(NO, str(kind), r) for kind in rng.permutation(list(kinds))
                   if (r := _negative(str(kind), i, cases, by_key, hard_key, rng)) is not None]
        for label, kind, reply in replies + options[:per_case]:
            texts.append(reply)
            contexts.append(context)
            labels.append(label)
            groups.append(f"{source}:{case.transcript_id}")
            made.append(kind)
    return LabelledData(tuple(texts), tuple(contexts), tuple(labels), tuple(groups), source=source,
                        kinds=tuple(made))


def _has_key(transcripts: Sequence[Transcript], key: str) -> bool:
    """The key has at least two values in the data (one company throughout tells no replies apart)."""
    return len({str(v) for t in transcripts if isinstance(v := t.meta.get(key), str | int)}) >= 2


def _negative(kind: str, i: int, cases: Sequence[Case], by_key: Mapping[str, list[int]], hard_key: str,
              rng: np.random.Generator) -> str | None:
    case = cases[i]
    key = case.slices.get(hard_key, "")
    if kind in ("same_key", "other_key"):
        pool = [j for j in (by_key[key] if kind == "same_key" else range(len(cases)))
                if cases[j].transcript_id != case.transcript_id
                and (kind == "same_key" or cases[j].slices.get(hard_key, "") != key)]
        pool = [j for j in pool if cases[j].reference.text.strip() != case.reference.text.strip()]
        return cases[int(rng.choice(pool))].reference.text if pool else None
    if kind == "truncated":
        return truncated(case.reference.text, rng)
    if kind == "generic":
        return str(rng.choice(GENERIC))
    if kind == "contradicted":
        return contradicted(case.reference.text)
    customer = [t.text for t in case.context if t.role == "customer"]
    return customer[-1] if customer else None  # echo


def dialogue_groups(items: Sequence[RatedItem], min_chars: int = 25) -> list[str]:
    """One id per rated item naming its dialogue: items whose contexts share a (non-trivial) turn are joined."""
    parent = list(range(len(items)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    seen: dict[str, int] = {}
    for k, item in enumerate(items):
        for turn in item.context:
            if len(turn.text) < min_chars:  # "Hi!" opens many dialogues
                continue
            if turn.text in seen:
                parent[find(k)] = find(seen[turn.text])
            else:
                seen[turn.text] = k
    return [f"dialogue-{find(k)}" for k in range(len(items))]


def rated_pairs(path: str, aspect: str = "Overall", top: float = 4.0, replicas: int = 4,
                context_turns: int | None = 4, low: float = 0.0) -> LabelledData:
    """A rated set's replies with their mean `aspect` rating as a soft label (see the module docstring)."""
    rated = load_rated(path)
    if aspect not in rated.aspects:
        raise InvalidData(f"{path}: aspect {aspect!r} is not rated; rated aspects: {rated.aspects}")
    if not top > low:
        raise InvalidData(f"{path}: the rating scale's top ({top}) must be above its low end ({low})")
    groups = dialogue_groups(rated.items)
    texts, contexts, labels, out_groups = [], [], [], []
    for (item, candidate), group in zip(rated.rows, [g for g, it in zip(groups, rated.items, strict=True)
                                                    for _ in it.candidates], strict=True):
        mean = candidate.mean_rating(aspect)
        if mean != mean:  # nobody rated it
            continue
        yes = round(replicas * min(max((mean - low) / (top - low), 0.0), 1.0))
        for k in range(replicas):
            texts.append(candidate.text)
            contexts.append(context_text(item.context, context_turns))
            labels.append(YES if k < yes else NO)
            out_groups.append(f"{rated.name}:{group}")
    return LabelledData(tuple(texts), tuple(contexts), tuple(labels), tuple(out_groups), source=path,
                        kinds=("rated",) * len(texts))


def concat(parts: Sequence[LabelledData]) -> LabelledData:
    if not parts:
        raise InvalidData("quality: no training data (give support datasets, a rated set, or both)")
    return LabelledData(*(tuple(x for p in parts for x in getattr(p, f))
                          for f in ("texts", "contexts", "labels", "groups")),
                        source=" + ".join(p.source for p in parts),
                        kinds=tuple(k for p in parts for k in (p.kinds or ("",) * len(p))))


_RATED_KEYS = ("path", "aspect", "low", "top")


def more_rated_pairs(name: str, source: Mapping[str, Any], replicas: int, context_turns: int | None) -> LabelledData:
    """One more rated set of `quality_examples`: {path, aspect, low, top}, checked in one line naming it."""
    where = f"recipe.data.more_rated.{name}"
    unknown = sorted(set(source) - set(_RATED_KEYS))
    if "path" not in source or unknown:
        raise InvalidData(f"{where}: " + (f"unknown key(s) {', '.join(unknown)}; " if unknown else "") +
                          f"a rated set has {', '.join(_RATED_KEYS)} (path required)")
    try:
        low, top = float(source.get("low", 0.0)), float(source.get("top", 4.0))
    except (TypeError, ValueError):
        raise InvalidData(f"{where}: low and top must be numbers") from None
    return rated_pairs(str(source["path"]), str(source.get("aspect", "Overall")), top, replicas, context_turns, low)


def quality_examples(datasets: Mapping[str, Loader] | None = None, rated: str | None = None,
                     aspect: str = "Overall", top: float = 4.0, replicas: int = 4, hard_key: str = "company",
                     per_case: int = 4, kinds: Sequence[str] = NEGATIVE_KINDS, context_turns: int | None = 4,
                     max_cases: Mapping[str, int] | None = None, seed: int = 0,
                     more_rated: Mapping[str, Mapping[str, Any]] | None = None) -> LabelledData:
    """What `evalkit train recipe=quality` trains on: synthetic pairs from each support dataset (hard negatives
    share its `hard_key`: company, or intent where the data has no company), the rated set if given (rated 0..top),
    and any `more_rated` sets (name -> {path, aspect, low, top}: QA's verdicts, rated 1..3, among them)."""
    parts = []
    for name, loader in (datasets or {}).items():
        transcripts = list(loader.load().transcripts)  # read once: it is iterated several times below
        key = hard_key if _has_key(transcripts, hard_key) else "intent"
        parts.append(support_pairs(transcripts, key, per_case, kinds, context_turns,
                                   (max_cases or {}).get(name), seed, source=name))
    if rated:
        parts.append(rated_pairs(rated, aspect, top, replicas, context_turns))
    parts += [more_rated_pairs(name, source, replicas, context_turns) for name, source in (more_rated or {}).items()]
    return concat(parts)
