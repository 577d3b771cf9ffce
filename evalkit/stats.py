"""Uncertainty for means of per-case scores."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats as _scipy_stats


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
        vectorized=True, rng=np.random.default_rng(seed),
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
