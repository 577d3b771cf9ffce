from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from scipy import stats as scipy_stats

from evalkit.errors import InvalidData
from evalkit.summaries.stats import (
    adjust_pvalues,
    bootstrap_ci,
    cohens_dz,
    paired_bootstrap_ci,
    paired_test,
    win_tie_loss,
)


def test_bootstrap_ci_brackets_the_mean():
    values = np.random.default_rng(1).normal(5.0, 1.0, 200)
    low, high = bootstrap_ci(values)
    assert low < values.mean() < high


def test_paired_bootstrap_ci_of_a_shift():
    rng = np.random.default_rng(2)
    base = rng.uniform(0, 1, 300)
    mean, low, high = paired_bootstrap_ci(base + 0.1, base)
    assert mean == pytest.approx(0.1) and low == pytest.approx(0.1) and high == pytest.approx(0.1)


@pytest.mark.parametrize("method", ["permutation", "wilcoxon"])
def test_paired_test_detects_a_real_shift_and_not_noise(method):
    rng = np.random.default_rng(3)
    case_effect = rng.normal(0, 1, 150)  # shared per-case difficulty is what pairing removes
    base = case_effect + rng.normal(0, 0.3, 150)
    assert paired_test(case_effect + 0.2 + rng.normal(0, 0.3, 150) - base, method) < 0.01
    assert paired_test(rng.normal(0, 0.3, 150), method) > 0.05


def test_permutation_test_is_exact_on_few_pairs():
    # 2^5 sign patterns; all positive is one of the two most extreme: p = 2/32.
    assert paired_test([1, 2, 3, 4, 5]) == pytest.approx(2 / 32)


def test_paired_test_edge_cases():
    assert math.isnan(paired_test([0.5]))
    assert paired_test([0.0, 0.0, 0.0]) == 1.0
    with pytest.raises(InvalidData, match="permutation"):
        paired_test([1.0, 2.0], "t-test")  # type: ignore[arg-type]


def test_holm_matches_the_step_down_definition():
    p = [0.01, 0.04, 0.03, 0.005, float("nan")]
    adjusted = adjust_pvalues(p, "holm")
    # sorted: 0.005*4, 0.01*3, 0.03*2, 0.04*1 -> monotone: 0.02, 0.03, 0.06, 0.06
    assert adjusted[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(adjusted[4])


def test_bh_is_scipys():
    p = [0.01, 0.04, 0.03, 0.005]
    assert adjust_pvalues(p, "bh") == pytest.approx(scipy_stats.false_discovery_control(p))
    with pytest.raises(InvalidData, match="holm"):
        adjust_pvalues(p, "bonferroni")  # type: ignore[arg-type]


def test_effect_size_and_win_tie_loss_follow_the_direction():
    assert cohens_dz([1.0, 2.0, 3.0]) == pytest.approx(2.0)
    assert win_tie_loss([3, 1, 2], [2, 2, 2]) == (1, 1, 1)
    assert win_tie_loss([3, 1, 2, 5], [2, 2, 2, 2], higher_is_better=False) == (1, 1, 2)


@pytest.mark.parametrize("method", ["permutation", "wilcoxon"])
def test_false_positive_rate_stays_near_nominal(method):
    """200 simulated pairs of exchangeable bots: a test at alpha=0.05 rejects about 5 % of the time, and Holm over
    six scorers x slices keeps the family-wise rate near 5 % too."""
    rng = np.random.default_rng(20261127)
    case_effect = rng.uniform(0, 1, (200, 6, 80))
    # Two bots whose scores are exchangeable draws around the same per-case quality: 200 seeds x 6 tests.
    diff = (case_effect + rng.normal(0, 0.2, case_effect.shape)) - (case_effect + rng.normal(0, 0.2, case_effect.shape))
    pvalues = paired_test(diff.reshape(-1, 80), method, n_resamples=999).reshape(200, 6)
    assert (pvalues[:, 0] < 0.05).mean() <= 0.08
    family = [np.nanmin(adjust_pvalues(p, "holm")) < 0.05 for p in pvalues]
    assert np.mean(family) <= 0.08
    assert (pvalues < 0.05).mean() > 0.02  # and the test is not simply conservative to the point of uselessness


def test_bootstrap_memory_is_bounded_and_the_interval_is_scipys_unbatched_one():
    values = np.random.default_rng(3).normal(size=50_000)
    tracemalloc.start()
    try:
        interval = bootstrap_ci(values, n_resamples=2000, seed=7)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # resampling all at once holds 2,000 x 50,000 indices and values: 1.6 GB
    small = values[:3000]  # unbatched is affordable here, and our batches still split it in several
    whole = scipy_stats.bootstrap((small,), np.mean, confidence_level=0.95, n_resamples=2000, method="percentile",
                            vectorized=True, rng=np.random.default_rng(7)).confidence_interval
    assert bootstrap_ci(small, n_resamples=2000, seed=7) == (whole.low, whole.high)
    assert interval[0] < values.mean() < interval[1]
