"""Which replies a QA lead should read first, and why.

Each bot's records get reasons, each with a severity: a failed reply (error record), failed rubric criteria or
pass/fail checks (by how much of the rubric's weight failed), a missed or unnecessary handoff, the bot below the
human on the same case (reference-free scorers), the worst tenth by any scorer, and, with `slices`, membership of a
slice value where the bot is clearly worse than overall. The queue is the most severe first, with a seeded random
calibration sample at its end (so reviewers also see ordinary replies and agreement is not measured on failures
alone).
"""

from __future__ import annotations

import hashlib
import heapq
import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

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
    """The queue for every chosen bot, each bot's picks in order (most severe first).

    `records` is read twice (a list, or a results log that reads its file again): first for each bot's score
    columns, then for the reasons, keeping only the candidates for the queue, so a large run's choice holds its
    scores as arrays, not its records."""
    if iter(records) is records:  # a one-shot iterator cannot be read twice
        records = list(records)
    human = _Columns(indexed=True)
    columns: dict[str, _Columns] = {}
    for r in records:
        if r.reply_is_reference:
            human.add(r, ())
        elif criteria.bot in (None, r.bot):
            bot = columns.setdefault(r.bot, _Columns())
            if _kept(r, criteria):
                bot.add(r, criteria.slices)
    stats = {bot: _Stats.of(c, directions, criteria) for bot, c in columns.items() if c.count}
    queues = {bot: _Queue(criteria, bot) for bot in stats}
    for r in records:
        if r.reply_is_reference or r.bot not in queues or not _kept(r, criteria):
            continue
        queues[r.bot].offer(r, _reasons(r, stats[r.bot], human, directions, thresholds or {}))
    return [pick for bot in columns if bot in queues for pick in queues[bot].picks()]


def _kept(record: Record, criteria: Criteria) -> bool:
    if any(record.slices.get(k) != v for k, v in criteria.where.items()):
        return False
    failed = record.reply.error is not None
    return criteria.errors == "any" or (criteria.errors == "only") == failed


def _ranked(name: str, criteria: Criteria) -> bool:
    return not criteria.scorers or name.split("/", 1)[0] in criteria.scorers or name in criteria.scorers


class _Columns:
    """One bot's scores in its records' order (NaN where a record has none), the sums per slice value the slice
    check needs, and (`indexed`: the human reference, looked up by case) each case id's position."""

    def __init__(self, indexed: bool = False) -> None:
        self.count, self.indexed = 0, indexed
        self.values: dict[str, array[float]] = {}
        self.position: dict[str, int] = {}
        self.slice_sums: dict[tuple[str, str], dict[str, list[float]]] = {}

    def add(self, record: Record, slice_keys: Sequence[str]) -> None:
        for name in record.scores:
            if name not in self.values:
                self.values[name] = array("d", [math.nan]) * self.count
        for name, column in self.values.items():
            value = record.scores.get(name)
            column.append(math.nan if value is None else value)
        for key in slice_keys:
            if key in record.slices:
                sums = self.slice_sums.setdefault((key, record.slices[key]), {})
                for name, value in record.scores.items():
                    if value is not None and not math.isnan(value):
                        total = sums.setdefault(name, [0.0, 0])
                        total[0] += value
                        total[1] += 1
        if self.indexed:
            self.position[record.case_id] = self.count
        self.count += 1

    def score(self, case_id: str, name: str) -> float | None:
        at, column = self.position.get(case_id), self.values.get(name)
        if at is None or column is None or math.isnan(column[at]):
            return None
        return column[at]


@dataclass(frozen=True)
class _Stats:
    """What each reason compares a record with: the bot's spread, worst-tenth cutoff and sorted values per
    continuous scorer, and its clearly-worse slice values."""

    scored: tuple[str, ...]
    continuous: tuple[str, ...]
    spread: Mapping[str, float]
    cutoffs: Mapping[str, float | None]
    ordered: Mapping[str, np.ndarray]
    regressed: tuple[tuple[str, str, tuple[float, str]], ...]

    @classmethod
    def of(cls, columns: _Columns, directions: Mapping[str, bool | None], criteria: Criteria) -> _Stats:
        scored = tuple(n for n in columns.values if directions.get(n) is not None and _ranked(n, criteria))
        continuous = tuple(n for n in scored if "/" not in n)
        ordered = {n: np.sort(_present(columns.values[n])) for n in continuous}
        return cls(scored, continuous,
                   spread={n: float(np.std(v)) if len(v) > 1 else 0.0 for n, v in ordered.items()},
                   cutoffs={n: _worst_cutoff(v, bool(directions[n])) for n, v in ordered.items()},
                   ordered=ordered,
                   regressed=_regressed_slices(columns, ordered, directions))


class _Queue:
    """One bot's candidates as the records stream past: the most severe (ranked) and the lowest seeded random keys
    (the calibration sample), each bounded to what the queue can still use."""

    def __init__(self, criteria: Criteria, bot: str) -> None:
        self.n, self.seed, self.bot = criteria.n, criteria.seed, bot
        self.calibration = min(criteria.n, round(criteria.n * criteria.calibration)) if criteria.n >= 5 else 0
        self.ranked: list[tuple[tuple[float, float, int], Record, list[tuple[float, str]]]] = []
        self.random: list[tuple[int, int, Record, list[tuple[float, str]]]] = []
        self.seen = 0

    def offer(self, record: Record, reasons: list[tuple[float, str]]) -> None:
        order, self.seen = self.seen, self.seen + 1
        if reasons:
            severity = (-max(s for s, _ in reasons), -sum(s for s, _ in reasons), order)
            self.ranked.append((severity, record, reasons))
            if len(self.ranked) > 2 * self.n + 64:
                self.ranked = heapq.nsmallest(self.n - self.calibration, self.ranked, key=lambda c: c[0])
        self.random.append((self._key(record.case_id), order, record, reasons))
        if len(self.random) > 2 * self.n + 64:
            self.random = heapq.nsmallest(self.n, self.random, key=lambda c: c[0])

    def _key(self, case_id: str) -> int:
        digest = hashlib.blake2b(f"{self.seed}:{self.bot}:{case_id}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big")

    def picks(self) -> list[Pick]:
        chosen = heapq.nsmallest(self.n - self.calibration, self.ranked, key=lambda c: c[0])
        taken = {record.case_id for _, record, _ in chosen}
        # Any n lowest keys hold enough records outside the chosen ones: at most len(chosen) of them are chosen.
        sample = [c for c in sorted(self.random, key=lambda c: c[0]) if c[2].case_id not in taken]
        sample = sorted(sample[:self.n - len(chosen)], key=lambda c: c[1])
        picks = [Pick(record, _why(reasons), max(s for s, _ in reasons), i + 1)
                 for i, (_, record, reasons) in enumerate(chosen)]
        for _, _, record, reasons in sample:
            picks.append(Pick(record, ("calibration sample (random)", *_why(reasons)), 0.0, len(picks) + 1))
        return picks


def _why(reasons: list[tuple[float, str]]) -> tuple[str, ...]:
    return tuple(why for _, why in sorted(reasons, reverse=True))


def _reasons(r: Record, stats: _Stats, human: _Columns, directions: Mapping[str, bool | None],
             thresholds: Mapping[str, float]) -> list[tuple[float, str]]:
    found: list[tuple[float, str]] = []
    if r.reply.error is not None:
        found.append((100.0, f"error: {r.reply.error}"))
    failed = [n for n in stats.scored if "/" in n and r.scores.get(n) is not None
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
    for key, value, why in stats.regressed:
        if r.slices.get(key) == value:
            found.append((200.0 + why[0], f"slice {key}={value}: {why[1]}"))
    if r.case_id in human.position:
        gaps = [(_gap(r.scores.get(n), human.score(r.case_id, n), bool(directions[n]), stats.spread[n]), n)
                for n in stats.continuous]
        gaps = [(g, n) for g, n in gaps if g is not None and g < 0]
        if gaps:
            gap, name = min(gaps)
            found.append((10 + min(9.0, -gap), f"below the human on {name} "
                          f"({r.scores[name]:.3g} vs {human.score(r.case_id, name):.3g})"))
    for name in stats.continuous:
        value, cutoff = r.scores.get(name), stats.cutoffs[name]
        if value is not None and cutoff is not None and _worse_or_equal(value, cutoff, bool(directions[name])):
            found.append((5 + _badness(value, stats.ordered[name], bool(directions[name])),
                          f"worst 10% by {name} ({value:.3g})"))
    return found


def _fails(value: float, threshold: float, higher_is_better: bool) -> bool:
    return value < threshold if higher_is_better else value >= threshold


def _present(column: array[float]) -> np.ndarray:
    values = np.frombuffer(column, dtype=np.float64) if len(column) else np.empty(0)
    return values[~np.isnan(values)]


def _worst_cutoff(ordered: np.ndarray, higher_is_better: bool) -> float | None:
    """The value at the worst tenth's edge (`ordered`: the bot's values, ascending)."""
    if len(ordered) < 10:
        return None
    present = ordered if higher_is_better else ordered[::-1]
    cutoff = float(present[max(0, math.ceil(len(present) * _WORST_SHARE) - 1)])
    return None if cutoff == present[-1] else cutoff  # the best value is no one's worst tenth


def _worse_or_equal(value: float, cutoff: float, higher_is_better: bool) -> bool:
    return value <= cutoff if higher_is_better else value >= cutoff


def _badness(value: float, ordered: np.ndarray, higher_is_better: bool) -> float:
    """The share of the bot's replies (`ordered`: their sorted values) this one is worse than or equal to (0..1):
    orders the worst tenth."""
    better = len(ordered) - int(np.searchsorted(ordered, value, "left")) if higher_is_better \
        else int(np.searchsorted(ordered, value, "right"))
    return better / len(ordered)


def _gap(bot: float | None, human: float | None, higher_is_better: bool, spread: float) -> float | None:
    """Bot minus human on one case, in the bot's standard deviations, better is positive."""
    if bot is None or human is None or math.isnan(bot) or spread == 0:
        return None
    return (bot - human) / spread * (1 if higher_is_better else -1)


def _regressed_slices(columns: _Columns, ordered: Mapping[str, np.ndarray], directions: Mapping[str, bool | None],
                      ) -> tuple[tuple[str, str, tuple[float, str]], ...]:
    """Slice values where the bot's mean is worse than its overall mean by more than two standard errors, on any
    continuous scorer (`ordered`: their values): (key, value, (how many standard errors, the line that says so)),
    worst first."""
    found = []
    for (key, value), sums in columns.slice_sums.items():
        worst: tuple[float, str] | None = None
        for name, everyone in ordered.items():
            total, count = sums.get(name, (0.0, 0))
            if count < 3 or len(everyone) <= count:
                continue
            inside, overall = total / count, float(np.mean(everyone))
            error = float(np.std(everyone)) / math.sqrt(count)
            drop = (overall - inside) * (1 if directions[name] else -1)
            z = drop / error if error else 0.0
            if z > 2 and (worst is None or z > worst[0]):
                worst = (min(z, 99.0), f"{name} {inside:.3g} vs {overall:.3g} overall")
        if worst:
            found.append((key, value, worst))
    return tuple(sorted(found, key=lambda f: -f[2][0]))
