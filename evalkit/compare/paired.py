"""Candidate vs baseline on the cases both answered: per scorer and slice, paired difference, CI, test, effect size.

Direction comes from each scorer's higher_is_better, so "better" and "worse" never depend on a metric's sign.
The correction family is every (scorer, slice) test of one candidate against the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from evalkit.results import Record
from evalkit.summaries.run import StatsSettings
from evalkit.summaries.slices import OVERALL
from evalkit.summaries.stats import (
    Correction,
    PairedTest,
    adjust_pvalues,
    cohens_dz,
    paired_bootstrap_ci,
    paired_test,
    win_tie_loss,
)


@dataclass(frozen=True)
class Settings:
    """How a comparison tests: the paired test, the correction across its family, and the intervals."""

    test: PairedTest = "permutation"
    correction: Correction = "holm"
    alpha: float = 0.05
    stats: StatsSettings = field(default_factory=StatsSettings)  # the differences' CIs (and the tests' seed)
    n_permutations: int = 9999


@dataclass(frozen=True)
class PairedRow:
    """One scorer on one slice: candidate vs baseline over the cases both answered."""

    candidate: str
    baseline: str
    scorer: str
    higher_is_better: bool | None  # None: a rate with no better direction (the handoff rate)
    slice_key: str  # OVERALL for all shared cases
    slice_value: str
    n: int  # pairs where both replies were scored
    baseline_mean: float
    candidate_mean: float
    diff: float  # candidate - baseline, in the scorer's units
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    effect_size: float  # Cohen's d_z of the differences, signed like diff
    wins: int  # cases where the candidate is better in the scorer's direction (higher, without a direction)
    ties: int
    losses: int

    @property
    def improvement(self) -> float:
        """The difference signed so that positive always means the candidate is better (nan: no direction)."""
        if self.higher_is_better is None:
            return math.nan
        return self.diff if self.higher_is_better else -self.diff

    def verdict(self, alpha: float) -> str:
        if not self.p_adjusted < alpha:  # nan (untestable) is never significant
            return "no sig. diff"
        if self.higher_is_better is None:
            return "changed"  # significant, but neither better nor worse
        return "better" if self.improvement > 0 else "worse"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Regression:
    """One case where the candidate did much worse than the baseline: what a reviewer needs to judge it."""

    case_id: str
    slices: Mapping[str, str]
    context: tuple[Mapping[str, str], ...]
    reference: str
    baseline_reply: str
    candidate_reply: str
    baseline_score: float
    candidate_score: float


@dataclass(frozen=True)
class CandidateComparison:
    candidate: str
    baseline: str
    n_shared: int  # cases both have a record for
    rows: tuple[PairedRow, ...]
    regressions: tuple[Regression, ...]  # by the primary scorer, worst first


def compare_bots(
    baseline: Sequence[Record],
    candidate: Sequence[Record],
    scorers: Mapping[str, bool | None],
    slice_keys: Sequence[str] = (),
    settings: Settings = Settings(),
    primary: str | None = None,
    top_regressions: int = 5,
    names: tuple[str, str] | None = None,
) -> CandidateComparison:
    """Pair records by case id (baseline order), test every scorer overall and on every slice, correct, rank."""
    base_name, cand_name = names or (baseline[0].bot, candidate[0].bot)
    by_case = {r.case_id: r for r in candidate}
    pairs = [(b, by_case[b.case_id]) for b in baseline if b.case_id in by_case]
    groups: dict[tuple[str, str], list[int]] = {(OVERALL, OVERALL): list(range(len(pairs)))}
    for i, (b, _) in enumerate(pairs):
        for key in slice_keys:
            if key in b.slices:
                groups.setdefault((key, b.slices[key]), []).append(i)
    # A slice value every shared case has (one company, one language) repeats the overall test: leave it out of
    # the family rather than pay for it in the correction.
    groups = {k: v for k, v in groups.items() if k == (OVERALL, OVERALL) or len(v) < len(pairs)}
    base_scores = {s: np.array([_value(b, s) for b, _ in pairs]) for s in scorers}
    cand_scores = {s: np.array([_value(c, s) for _, c in pairs]) for s in scorers}

    raw = []
    for (key, value), members in groups.items():
        for scorer, higher in scorers.items():
            a, c = base_scores[scorer][members], cand_scores[scorer][members]
            both = ~(np.isnan(a) | np.isnan(c))
            raw.append(_row(cand_name, base_name, scorer, higher, key, value, a[both], c[both], settings))
    adjusted = adjust_pvalues([r["p_value"] for r in raw], settings.correction)
    rows = tuple(PairedRow(**r, p_adjusted=float(p)) for r, p in zip(raw, adjusted, strict=True))
    primary = primary if primary in scorers else next(iter(scorers), None)
    # Only a scorer with a direction can regress.
    regressions = _regressions(pairs, primary, scorers[primary], top_regressions) \
        if primary and scorers[primary] is not None else ()
    return CandidateComparison(cand_name, base_name, len(pairs), rows, regressions)


def _value(record: Record, scorer: str) -> float:
    value = record.scores.get(scorer)
    return math.nan if value is None else float(value)


def _row(candidate: str, baseline: str, scorer: str, higher: bool | None, key: str, value: str, a: np.ndarray,
         c: np.ndarray, settings: Settings) -> dict:
    diff = c - a
    if diff.size:
        mean, low, high = paired_bootstrap_ci(c, a, settings.stats.confidence, settings.stats.n_resamples,
                                              settings.stats.seed)
    else:
        mean = low = high = math.nan
    wins, ties, losses = win_tie_loss(c, a, higher is not False)
    return dict(
        candidate=candidate, baseline=baseline, scorer=scorer, higher_is_better=higher, slice_key=key,
        slice_value=value, n=int(diff.size),
        baseline_mean=float(a.mean()) if a.size else math.nan,
        candidate_mean=float(c.mean()) if c.size else math.nan,
        diff=mean, ci_low=low, ci_high=high,
        p_value=paired_test(diff, settings.test, settings.n_permutations, settings.stats.seed),
        effect_size=cohens_dz(diff), wins=wins, ties=ties, losses=losses,
    )


def _regressions(pairs: list[tuple[Record, Record]], scorer: str, higher: bool | None, top: int
                 ) -> tuple[Regression, ...]:
    scored = [(b, c, b.scores.get(scorer), c.scores.get(scorer)) for b, c in pairs]
    worse = [(b, c, sb, sc) for b, c, sb, sc in scored
             if sb is not None and sc is not None and (sc < sb if higher else sc > sb)]
    worse.sort(key=lambda t: abs(t[3] - t[2]), reverse=True)
    return tuple(Regression(
        case_id=b.case_id, slices=dict(b.slices), context=b.context, reference=b.reference,
        baseline_reply=b.reply.text or "", candidate_reply=c.reply.text or "", baseline_score=float(sb),
        candidate_score=float(sc),
    ) for b, c, sb, sc in worse[:top])
