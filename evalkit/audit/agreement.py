"""How far QA's verdicts and the scorers agree, and how far the reviewers agree with each other, with item-bootstrap
confidence intervals.

A verdict passes unless it is `bad`. Each (reviewer, case) verdict is one observation against a scorer's pass/fail
(its threshold: a rubric criterion's, or the configured one). Between reviewers: Krippendorff's alpha (ordinal:
bad < acceptable < good) over every case at least two of them judged, and Cohen's kappa per pair on the cases both
judged.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations

import numpy as np
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from evalkit.audit.case_view import passed
from evalkit.audit.queues import VERDICTS, Verdict
from evalkit.validity.agreement import krippendorff_alpha

ORDER = {"bad": 0, "acceptable": 1, "good": 2}


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class ScorerAgreement:
    scorer: str
    kappa: Estimate
    agreement: Estimate  # raw: the share of verdicts the scorer's pass/fail matches
    confusion: tuple[tuple[int, int], tuple[int, int]]  # rows QA pass, fail; columns scorer pass, fail


@dataclass(frozen=True)
class PairAgreement:
    reviewers: tuple[str, str]
    kappa: Estimate
    confusion: tuple[tuple[int, ...], ...]  # rows the first reviewer's, columns the second's: good, acceptable, bad


@dataclass(frozen=True)
class Disagreement:
    bot: str
    case_id: str
    reviewer: str
    verdict: str
    scorer: str
    value: float | None
    trace_id: str


@dataclass(frozen=True)
class AgreementReport:
    verdicts: int
    cases: int
    reviewers: tuple[str, ...]
    scorers: tuple[ScorerAgreement, ...]
    alpha: Estimate
    pairs: tuple[PairAgreement, ...]
    categories: tuple[tuple[str, str, str, int], ...]  # (bot, intent, category, count)
    disagreements: tuple[Disagreement, ...] = ()
    verdict_counts: Mapping[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return asdict(self)


def qa_passes(verdict: str) -> bool:
    return verdict != "bad"


def kappa(a: Sequence[object], b: Sequence[object]) -> float:
    """Cohen's kappa; NaN where it is undefined (both raters used a single, identical label)."""
    if len(a) < 2:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = cohen_kappa_score(list(a), list(b))
    return float(value)


def bootstrap(statistic: Callable[[np.ndarray], float], n: int, resamples: int, confidence: float, seed: int
              ) -> tuple[float, float]:
    """Percentile interval of statistic(indices) over item resamples (NaN resamples are left out)."""
    if n < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    values = np.array([statistic(rng.integers(0, n, n)) for _ in range(resamples)], dtype=float)
    values = values[~np.isnan(values)]
    if not values.size:
        return math.nan, math.nan
    tail = (1 - confidence) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def agreement(verdicts: Sequence[Verdict], directions: Mapping[str, bool | None], thresholds: Mapping[str, float],
              resamples: int = 2000, confidence: float = 0.95, seed: int = 0) -> AgreementReport:
    verdicts = [v for v in verdicts if v.verdict in VERDICTS]
    reviewers = tuple(sorted({v.reviewer for v in verdicts}))
    scorer_rows = [_scorer_agreement(name, verdicts, directions, thresholds, resamples, confidence, seed)
                   for name in sorted({n for v in verdicts for n in v.scores})]
    scorers = tuple(row for row in scorer_rows if row is not None)
    cases = sorted({v.trace_id for v in verdicts})
    matrix = np.full((len(reviewers), len(cases)), np.nan)
    for v in verdicts:
        matrix[reviewers.index(v.reviewer), cases.index(v.trace_id)] = ORDER[v.verdict]
    shared = matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2]
    alpha = Estimate(krippendorff_alpha(shared, "ordinal"),
                     *bootstrap(lambda i: krippendorff_alpha(shared[:, i], "ordinal"), shared.shape[1], resamples,
                                confidence, seed), shared.shape[1])
    pairs = tuple(_pair(a, b, verdicts, resamples, confidence, seed) for a, b in combinations(reviewers, 2))
    counted = Counter((v.bot, v.slices.get("intent", ""), c) for v in verdicts for c in v.categories)
    disagreements = tuple(
        Disagreement(v.bot, v.case_id, v.reviewer, v.verdict, name, v.scores.get(name), v.trace_id)
        for v in verdicts if not qa_passes(v.verdict)
        for name in sorted(v.scores) if passed(name, v.scores[name], thresholds, directions.get(name)) is True)
    return AgreementReport(len(verdicts), len(cases), reviewers, scorers, alpha, pairs,
                           tuple((b, i, c, n) for (b, i, c), n in sorted(counted.items())), disagreements,
                           dict(Counter(v.verdict for v in verdicts)))


def _scorer_agreement(name: str, verdicts: Sequence[Verdict], directions: Mapping[str, bool | None],
                      thresholds: Mapping[str, float], resamples: int, confidence: float, seed: int
                      ) -> ScorerAgreement | None:
    pairs = [(qa_passes(v.verdict), p) for v in verdicts
             if (p := passed(name, v.scores.get(name), thresholds, directions.get(name))) is not None]
    if not pairs:
        return None  # no threshold for this scorer: nothing says when it passes
    qa, metric = np.array([q for q, _ in pairs]), np.array([m for _, m in pairs])
    n = len(pairs)
    matrix = confusion_matrix(qa, metric, labels=[True, False])
    return ScorerAgreement(
        name,
        Estimate(kappa(qa, metric), *bootstrap(lambda i: kappa(qa[i], metric[i]), n, resamples, confidence, seed), n),
        Estimate(float(np.mean(qa == metric)), *bootstrap(lambda i: float(np.mean(qa[i] == metric[i])), n, resamples,
                                                          confidence, seed), n),
        tuple(tuple(int(x) for x in row) for row in matrix))  # type: ignore[arg-type]


def _pair(a: str, b: str, verdicts: Sequence[Verdict], resamples: int, confidence: float, seed: int
          ) -> PairAgreement:
    first = {v.trace_id: v.verdict for v in verdicts if v.reviewer == a}
    second = {v.trace_id: v.verdict for v in verdicts if v.reviewer == b}
    both = sorted(first.keys() & second.keys())
    x, y = np.array([first[t] for t in both]), np.array([second[t] for t in both])
    labels = ["good", "acceptable", "bad"]
    matrix = confusion_matrix(x, y, labels=labels) if both else np.zeros((3, 3), dtype=int)
    estimate = Estimate(kappa(x, y), *bootstrap(lambda i: kappa(x[i], y[i]), len(both), resamples, confidence, seed),
                        len(both))
    return PairAgreement((a, b), estimate, tuple(tuple(int(v) for v in row) for row in matrix))
