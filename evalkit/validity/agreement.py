"""How much human raters agree with each other: the ceiling any automatic metric should be read against."""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Agreement:
    aspect: str
    raters: int
    units: int  # rated candidates
    ratings: int
    alpha_interval: float  # Krippendorff's alpha, interval distance
    alpha_ordinal: float  # Krippendorff's alpha, ordinal distance
    pairwise_spearman: float  # mean Spearman between two raters over the candidates both rated
    leave_one_out_spearman: float  # mean Spearman of one rater against the mean of the others

    def as_dict(self) -> dict:
        return asdict(self)


def krippendorff_alpha(matrix: np.ndarray, level: str = "interval") -> float:
    """Alpha over a raters x units matrix with NaN for missing ratings; NaN when fewer than two pairable values."""
    import krippendorff

    data = np.asarray(matrix, dtype=float)
    pairable = (np.sum(~np.isnan(data), axis=0) >= 2).sum()
    values = np.unique(data[~np.isnan(data)])
    if pairable == 0 or values.size < 2:
        return math.nan
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    both = ~np.isnan(a) & ~np.isnan(b)
    if both.sum() < 3 or np.ptp(a[both]) == 0 or np.ptp(b[both]) == 0:
        return math.nan
    return float(stats.spearmanr(a[both], b[both]).statistic)


def mean_pairwise_spearman(matrix: np.ndarray) -> float:
    rows = np.asarray(matrix, dtype=float)
    values = [_spearman(rows[i], rows[j]) for i, j in combinations(range(len(rows)), 2)]
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


def leave_one_out_spearman(matrix: np.ndarray) -> float:
    rows = np.asarray(matrix, dtype=float)
    if len(rows) < 2:
        return math.nan
    values = []
    for i in range(len(rows)):
        others = np.delete(rows, i, axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a candidate only this rater rated: NaN, dropped below
            rest = np.nanmean(others, axis=0)
        values.append(_spearman(rows[i], rest))
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


def agreement(aspect: str, raters: list[str], matrix: list[list[float]]) -> Agreement:
    data = np.asarray(matrix, dtype=float).reshape(len(raters), -1)
    return Agreement(
        aspect=aspect, raters=len(raters), units=data.shape[1], ratings=int((~np.isnan(data)).sum()),
        alpha_interval=krippendorff_alpha(data, "interval"), alpha_ordinal=krippendorff_alpha(data, "ordinal"),
        pairwise_spearman=mean_pairwise_spearman(data), leave_one_out_spearman=leave_one_out_spearman(data),
    )
