"""Metric validity: how well each scorer's numbers track mean human ratings, with item-level bootstrap CIs.

Correlations are over candidates (every rated reply), but the bootstrap resamples *items* (conversations) with all
their candidates, because candidates of one conversation share its difficulty and are not independent draws.
A resample is a vector of row weights (how often each candidate was drawn), so all resamples of one scorer are
computed at once: weighted Pearson, Spearman on weighted mid-ranks and weighted Kendall tau-b equal the plain
statistics on the expanded resample exactly (tests check this against scipy).
Scorers whose lower values are better are negated first, so a positive correlation always means agreement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

METHODS = ("spearman", "kendall", "pearson")
_CHUNK = 200  # resamples per vectorised step: bounds memory at _CHUNK x n x n for Kendall


@dataclass(frozen=True)
class Correlation:
    value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ValidityRow:
    scorer: str
    aspect: str
    n: int  # candidates with both a score and a human rating
    n_items: int
    n_missing: int  # candidates the scorer could not score (judge errors, missing reference)
    spearman: Correlation
    kendall: Correlation
    pearson: Correlation

    def as_dict(self) -> dict:
        out = {"scorer": self.scorer, "aspect": self.aspect, "n": self.n, "n_items": self.n_items,
               "n_missing": self.n_missing}
        for method in METHODS:
            c = getattr(self, method)
            out.update({method: c.value, f"{method}_ci_low": c.ci_low, f"{method}_ci_high": c.ci_high})
        return out


def correlation(method: str, x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    if method == "spearman":
        return float(stats.spearmanr(x, y).statistic)
    if method == "kendall":
        return float(stats.kendalltau(x, y).statistic)  # tau-b: ratings have many ties
    return float(stats.pearsonr(x, y).statistic)


def item_weights(items: Sequence[str], n_resamples: int, seed: int) -> np.ndarray:
    """resamples x rows: how many times each row's item was drawn when resampling items with replacement."""
    codes = np.unique(np.asarray(items), return_inverse=True)[1]
    n_items = int(codes.max()) + 1 if codes.size else 0
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_items, size=(n_resamples, n_items))
    counts = np.stack([np.bincount(d, minlength=n_items) for d in draws]) if n_resamples else np.zeros((0, n_items))
    return counts[:, codes].astype(float)


def _weighted_pearson(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    total = w.sum(axis=1, keepdims=True)
    xm = x - (w * x).sum(axis=1, keepdims=True) / total
    ym = y - (w * y).sum(axis=1, keepdims=True) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w * xm * ym).sum(axis=1) / np.sqrt((w * xm**2).sum(axis=1) * (w * ym**2).sum(axis=1))


def _weighted_midranks(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The average rank each row would get if it were repeated w times (ties share their mean rank)."""
    values, group = np.unique(x, return_inverse=True)
    weight = np.zeros((w.shape[0], values.size))
    for g in range(values.size):
        weight[:, g] = w[:, group == g].sum(axis=1)
    before = np.cumsum(weight, axis=1) - weight
    return (before + (weight + 1) / 2)[:, group]


def _weighted_kendall(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    sx, sy = np.sign(x[:, None] - x[None, :]), np.sign(y[:, None] - y[None, :])
    total = w.sum(axis=1)
    pairs = total * (total - 1) / 2
    score = 0.5 * np.einsum("ri,ij,rj->r", w, sx * sy, w)
    tied_x = (np.einsum("ri,ij,rj->r", w, (sx == 0).astype(float), w) - total) / 2
    tied_y = (np.einsum("ri,ij,rj->r", w, (sy == 0).astype(float), w) - total) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return score / np.sqrt((pairs - tied_x) * (pairs - tied_y))


def bootstrap_correlations(method: str, weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The correlation in every resample (rows of weights), NaN where a resample is constant in x or y."""
    out = []
    for start in range(0, len(weights), _CHUNK):
        w = weights[start:start + _CHUNK]
        if method == "pearson":
            out.append(_weighted_pearson(w, np.broadcast_to(x, w.shape), np.broadcast_to(y, w.shape)))
        elif method == "spearman":
            out.append(_weighted_pearson(w, _weighted_midranks(w, x), _weighted_midranks(w, y)))
        else:
            out.append(_weighted_kendall(w, x, y))
    return np.concatenate(out) if out else np.zeros(0)


def validity_row(
    scorer: str, aspect: str, items: Sequence[str], scores: Sequence[float | None], human: Sequence[float],
    weights: np.ndarray, higher_is_better: bool = True, confidence: float = 0.95,
) -> ValidityRow:
    x = np.array([math.nan if s is None else s for s in scores], dtype=float)
    y = np.asarray(human, dtype=float)
    if not higher_is_better:
        x = -x
    ok = ~np.isnan(x) & ~np.isnan(y)
    tail = (1 - confidence) / 2 * 100
    out = {}
    for method in METHODS:
        value = correlation(method, x[ok], y[ok])
        draws = bootstrap_correlations(method, weights[:, ok], x[ok], y[ok]) if not math.isnan(value) else []
        draws = np.asarray(draws)[~np.isnan(draws)] if len(draws) else np.zeros(0)
        low, high = np.percentile(draws, [tail, 100 - tail]) if draws.size >= 10 else (math.nan, math.nan)
        out[method] = Correlation(value, float(low), float(high))
    scored_items = {item for item, keep in zip(items, ok, strict=True) if keep}
    return ValidityRow(scorer, aspect, int(ok.sum()), len(scored_items), int((np.isnan(x) & ~np.isnan(y)).sum()),
                       **out)
