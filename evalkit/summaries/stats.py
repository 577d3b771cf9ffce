"""Uncertainty for means of per-case scores, and paired tests of one version against another."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
from scipy import stats as _scipy_stats

from evalkit.errors import check_choice

# Resampled values held at once: scipy draws n_resamples x n indices and values in one go unless told to batch,
# 3.2 GB for 2,000 resamples of 100k scores. Batches of a million values (16 MB) give the same draws from the same
# generator, hence the same interval, for a fixed seed.
_RESAMPLED_AT_ONCE = 1_000_000


def bootstrap_ci(
    values: Sequence[float], confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval for the mean; (nan, nan) below two values, the value itself when constant."""
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return math.nan, math.nan
    if np.all(data == data[0]):
        return float(data[0]), float(data[0])
    result = _scipy_stats.bootstrap(
        (data,), np.mean, confidence_level=confidence, n_resamples=n_resamples, method="percentile",
        vectorized=True, batch=max(1, _RESAMPLED_AT_ONCE // data.size), rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def paired_bootstrap_ci(
    a: Sequence[float], b: Sequence[float], confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of a - b over the same cases, with a percentile bootstrap interval that resamples cases (pairs)."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if diff.size == 0:
        return math.nan, math.nan, math.nan
    low, high = bootstrap_ci(diff, confidence, n_resamples, seed)
    return float(diff.mean()), low, high


# Paired comparisons: the same cases scored for a baseline and a candidate.

PairedTest = Literal["permutation", "wilcoxon"]
Correction = Literal["holm", "bh"]


def paired_test(diff: Sequence[float] | np.ndarray, method: PairedTest = "permutation", n_resamples: int = 9999,
                seed: int = 0) -> float | np.ndarray:
    """Two-sided p-value that the paired differences are centred on zero.

    permutation: sign-flip test of the mean difference (exact below ~13 pairs); wilcoxon: signed-rank test of the
    median, pairs with no difference dropped. nan below two pairs; 1.0 when every difference is zero.
    A 2-D array is many tests at once (one per row, pairs along the last axis): one vectorised call.
    """
    data = np.asarray(diff, dtype=float)
    if data.ndim > 1:
        return _paired_tests(data, method, n_resamples, seed)
    return float(_paired_tests(data[None, :], method, n_resamples, seed)[0])


def _paired_tests(data: np.ndarray, method: PairedTest, n_resamples: int, seed: int) -> np.ndarray:
    check_choice("test", method, get_args(PairedTest))
    out = np.ones(data.shape[0])
    if data.shape[1] < 2:
        return np.full(data.shape[0], math.nan)
    varying = np.any(data != 0, axis=1)
    if not varying.any():
        return out
    rows = data[varying]
    if method == "permutation":
        # One sample under permutation_type="samples" is a sign-flip test: the pairs' labels swap, not the cases.
        result = _scipy_stats.permutation_test(
            (rows,), _mean_along, permutation_type="samples", vectorized=True, n_resamples=n_resamples,
            alternative="two-sided", axis=-1, batch=max(1, 4_000_000 // rows.size), rng=np.random.default_rng(seed),
        )
    else:
        result = _scipy_stats.wilcoxon(rows, zero_method="wilcox", axis=-1)
    out[varying] = result.pvalue
    return out


def _mean_along(x: np.ndarray, axis: int) -> np.ndarray:
    return np.mean(x, axis=axis)


def adjust_pvalues(pvalues: Sequence[float], method: Correction = "holm") -> np.ndarray:
    """Multiple-comparison correction over one family of tests; nan p-values (untestable) stay nan, uncounted.

    holm controls the family-wise error rate (Holm's step-down Bonferroni); bh the false discovery rate.
    """
    check_choice("correction", method, get_args(Correction))
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, math.nan)
    tested = ~np.isnan(p)
    if not tested.any():
        return out
    if method == "bh":
        out[tested] = _scipy_stats.false_discovery_control(p[tested], method="bh")
    else:  # holm
        values = p[tested]
        order = np.argsort(values, kind="stable")
        m = values.size
        # The k-th smallest p-value is multiplied by (m - k); running max keeps the adjusted values monotone.
        stepped = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * values[order]))
        adjusted = np.empty(m)
        adjusted[order] = stepped
        out[tested] = adjusted
    return out


def cohens_dz(diff: Sequence[float]) -> float:
    """Paired effect size: mean difference over the standard deviation of the differences (nan when undefined)."""
    data = np.asarray(diff, dtype=float)
    if data.size < 2:
        return math.nan
    sd = float(data.std(ddof=1))
    if sd == 0.0:
        return 0.0 if data[0] == 0 else math.copysign(math.inf, float(data[0]))
    return float(data.mean() / sd)


def win_tie_loss(candidate: Sequence[float], baseline: Sequence[float], higher_is_better: bool = True,
                 tolerance: float = 0.0) -> tuple[int, int, int]:
    """How many cases the candidate scores better, the same (within tolerance) or worse than the baseline."""
    diff = np.asarray(candidate, dtype=float) - np.asarray(baseline, dtype=float)
    if not higher_is_better:
        diff = -diff
    wins, losses = int(np.sum(diff > tolerance)), int(np.sum(diff < -tolerance))
    return wins, diff.size - wins - losses, losses
