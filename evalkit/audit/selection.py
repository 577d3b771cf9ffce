"""Which replies a QA lead should read first, and why.

Each bot's records get reasons, each with a severity: a failed reply (error record), failed rubric criteria or
pass/fail checks (by how much of the rubric's weight failed), a missed or unnecessary handoff, the bot below the
human on the same case (reference-free scorers), the worst tenth by any scorer, and, with `slices`, membership of a
slice value where the bot is clearly worse than overall. The queue is the most severe first, with a seeded random
calibration sample at its end (so reviewers also see ordinary replies and agreement is not measured on failures
alone).
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from evalkit.results import Record

ErrorState = Literal["any", "only", "exclude"]
DEFAULT_THRESHOLD = 0.5  # rubric rules score 1 or 0 and pass at 0.5 (evalkit.scorers.rubric.rubric)
_WORST_SHARE = 0.1


@dataclass(frozen=True)
class Criteria:
    """What to choose from and how much. `bot=None`: every bot that is not the human reference."""

    bot: str | None = None
    n: int = 30
    slices: tuple[str, ...] = ()  # slice keys whose clearly-worse values come first
    scorers: tuple[str, ...] = ()  # rank by these scorers (and their criteria) only; () all
    errors: ErrorState = "any"  # only: error records alone; exclude: none of them
    where: Mapping[str, str] = field(default_factory=dict)  # slice filters: {"intent": "late_fee"}
    calibration: float = 0.1  # share of n drawn at random from the rest
    seed: int = 0


@dataclass(frozen=True)
class Pick:
    record: Record
    reasons: tuple[str, ...]
    severity: float
    position: int  # 1 = first in the queue

    @property
    def key(self) -> tuple[str, str]:
        return self.record.bot, self.record.case_id


def select(records: Iterable[Record], directions: Mapping[str, bool | None], criteria: Criteria = Criteria(),
           thresholds: Mapping[str, float] | None = None) -> list[Pick]:
    """The queue for every chosen bot, each bot's picks in order (most severe first)."""
    records = list(records)
    human = {r.case_id: r for r in records if r.reply_is_reference}
    bots = [criteria.bot] if criteria.bot else list(dict.fromkeys(r.bot for r in records if not r.reply_is_reference))
    picks: list[Pick] = []
    for bot in bots:
        mine = [r for r in records if r.bot == bot and _kept(r, criteria)]
        picks.extend(_queue(mine, human, directions, criteria, thresholds or {}))
    return picks


def _kept(record: Record, criteria: Criteria) -> bool:
    if any(record.slices.get(k) != v for k, v in criteria.where.items()):
        return False
    failed = record.reply.error is not None
    return criteria.errors == "any" or (criteria.errors == "only") == failed


def _ranked(name: str, criteria: Criteria) -> bool:
    return not criteria.scorers or name.split("/", 1)[0] in criteria.scorers or name in criteria.scorers


def _queue(records: Sequence[Record], human: Mapping[str, Record], directions: Mapping[str, bool | None],
           criteria: Criteria, thresholds: Mapping[str, float]) -> list[Pick]:
    if not records:
        return []
    scored = [name for name in dict.fromkeys(n for r in records for n in r.scores)
              if directions.get(name) is not None and _ranked(name, criteria)]
    continuous = [n for n in scored if "/" not in n]
    spread = {n: _spread([r.scores.get(n) for r in records]) for n in continuous}
    cutoffs = {n: _worst_cutoff([r.scores.get(n) for r in records], bool(directions[n])) for n in continuous}
    regressed = _regressed_slices(records, continuous, directions, criteria.slices)
    ordered = {n: sorted(r.scores[n] for r in records if r.scores.get(n) is not None) for n in continuous}
    reasons: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for r in records:
        found = reasons[r.case_id]
        if r.reply.error is not None:
            found.append((100.0, f"error: {r.reply.error}"))
        failed = [n for n in scored if "/" in n and r.scores.get(n) is not None
                  and _fails(r.scores[n], thresholds.get(n, DEFAULT_THRESHOLD), bool(directions[n]))]
        if failed:
            parents = {n.split("/", 1)[0] for n in failed}
            lost = max((1 - r.scores[p] for p in parents if r.scores.get(p) is not None and 0 <= r.scores[p] <= 1),
                       default=0.5)
            found.append((50 + 40 * lost, "failed " + ", ".join(failed)))
        if r.expected_handoff and r.reply.ok and not r.reply.handoff:
            found.append((45.0, "missed handoff"))
        elif r.expected_handoff is False and r.reply.handoff:
            found.append((25.0, "unnecessary handoff"))
        for key, value, why in regressed:
            if r.slices.get(key) == value:
                found.append((200.0 + why[0], f"slice {key}={value}: {why[1]}"))
        if r.case_id in human:
            gaps = [(_gap(r, human[r.case_id], n, bool(directions[n]), spread[n]), n) for n in continuous]
            gaps = [(g, n) for g, n in gaps if g is not None and g < 0]
            if gaps:
                gap, name = min(gaps)
                found.append((10 + min(9.0, -gap), f"below the human on {name} "
                              f"({r.scores[name]:.3g} vs {human[r.case_id].scores[name]:.3g})"))
        for name in continuous:
            value = r.scores.get(name)
            if value is not None and cutoffs[name] is not None and _worse_or_equal(value, cutoffs[name],
                                                                                   bool(directions[name])):
                found.append((5 + _badness(value, ordered[name], bool(directions[name])), f"worst 10% by {name} "
                              f"({value:.3g})"))
    order = {r.case_id: i for i, r in enumerate(records)}
    calibration = min(criteria.n, round(criteria.n * criteria.calibration)) if criteria.n >= 5 else 0
    chosen = heapq.nsmallest(criteria.n - calibration, (r for r in records if reasons[r.case_id]),
                             key=lambda r: (-max(s for s, _ in reasons[r.case_id]),
                                            -sum(s for s, _ in reasons[r.case_id]), order[r.case_id]))
    chosen_ids = {r.case_id for r in chosen}
    rest = [r for r in records if r.case_id not in chosen_ids]
    sample = random.Random(f"{criteria.seed}:{records[0].bot}").sample(
        rest, min(len(rest), criteria.n - len(chosen)))
    picks = [Pick(r, tuple(why for _, why in sorted(reasons[r.case_id], reverse=True)),
                  max(s for s, _ in reasons[r.case_id]), i + 1) for i, r in enumerate(chosen)]
    for r in sorted(sample, key=lambda r: order[r.case_id]):
        if r.case_id not in chosen_ids:
            why = tuple(w for _, w in sorted(reasons[r.case_id], reverse=True))
            picks.append(Pick(r, ("calibration sample (random)", *why), 0.0, len(picks) + 1))
    return picks


def _fails(value: float, threshold: float, higher_is_better: bool) -> bool:
    return value < threshold if higher_is_better else value >= threshold


def _spread(values: Sequence[float | None]) -> float:
    present = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.pstdev(present) if len(present) > 1 else 0.0


def _worst_cutoff(values: Sequence[float | None], higher_is_better: bool) -> float | None:
    present = sorted((v for v in values if v is not None and not math.isnan(v)), reverse=not higher_is_better)
    if len(present) < 10:
        return None
    cutoff = present[max(0, math.ceil(len(present) * _WORST_SHARE) - 1)]
    return None if cutoff == present[-1] else cutoff  # the best value is no one's worst tenth


def _worse_or_equal(value: float, cutoff: float, higher_is_better: bool) -> bool:
    return value <= cutoff if higher_is_better else value >= cutoff


def _badness(value: float, ordered: Sequence[float], higher_is_better: bool) -> float:
    """The share of the bot's replies (`ordered`: their sorted values) this one is worse than or equal to (0..1):
    orders the worst tenth."""
    better = len(ordered) - bisect.bisect_left(ordered, value) if higher_is_better \
        else bisect.bisect_right(ordered, value)
    return better / len(ordered)


def _gap(record: Record, human: Record, name: str, higher_is_better: bool, spread: float) -> float | None:
    """Bot minus human on one case, in the bot's standard deviations, better is positive."""
    bot, ref = record.scores.get(name), human.scores.get(name)
    if bot is None or ref is None or spread == 0:
        return None
    return (bot - ref) / spread * (1 if higher_is_better else -1)


def _regressed_slices(records: Sequence[Record], scorers: Sequence[str], directions: Mapping[str, bool | None],
                      keys: Sequence[str]) -> list[tuple[str, str, tuple[float, str]]]:
    """Slice values where the bot's mean is worse than its overall mean by more than two standard errors, on any
    scorer: (key, value, (how many standard errors, the line that says so)), worst first."""
    found = []
    overall = {n: [r.scores[n] for r in records if r.scores.get(n) is not None] for n in scorers}
    for key in keys:
        groups: dict[str, list[Record]] = defaultdict(list)
        for r in records:
            if key in r.slices:
                groups[r.slices[key]].append(r)
        for value, members in groups.items():
            worst: tuple[float, str] | None = None
            for name in scorers:
                inside = [r.scores[name] for r in members if r.scores.get(name) is not None]
                everyone = overall[name]
                if len(inside) < 3 or len(everyone) <= len(inside):
                    continue
                error = statistics.pstdev(everyone) / math.sqrt(len(inside))
                drop = (statistics.fmean(everyone) - statistics.fmean(inside)) * (1 if directions[name] else -1)
                z = drop / error if error else 0.0
                if z > 2 and (worst is None or z > worst[0]):
                    worst = (min(z, 99.0), f"{name} {statistics.fmean(inside):.3g} vs "
                                           f"{statistics.fmean(everyone):.3g} overall")
            if worst:
                found.append((key, value, worst))
    return sorted(found, key=lambda f: -f[2][0])
