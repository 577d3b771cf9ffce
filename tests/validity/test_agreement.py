"""Inter-annotator agreement against published values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from evalkit.validity.agreement import agreement, krippendorff_alpha, leave_one_out_spearman, mean_pairwise_spearman

N = np.nan
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders x 12 units with missing values.
KRIPPENDORFF_2011 = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
])


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_alpha_matches_krippendorffs_worked_example(level: str, published: float) -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(published, abs=5e-4)


def test_perfect_agreement_and_degenerate_data() -> None:
    same = np.array([[1, 2, 3, 4], [1, 2, 3, 4]], dtype=float)
    assert krippendorff_alpha(same) == 1.0
    assert mean_pairwise_spearman(same) == pytest.approx(1.0)
    assert leave_one_out_spearman(same) == pytest.approx(1.0)
    assert math.isnan(krippendorff_alpha(np.array([[1, N, 3], [N, 2, N]])))  # no unit rated twice


def test_pairwise_and_one_vs_rest_spearman_use_only_shared_units() -> None:
    data = np.array([[1, 2, 3, 4, N], [1, 2, 4, 3, 5], [4, 3, 2, 1, 1]], dtype=float)
    pairs = [stats.spearmanr(data[0, :4], data[1, :4]).statistic,  # rater 0 left unit 4 out
             stats.spearmanr(data[0, :4], data[2, :4]).statistic,
             stats.spearmanr(data[1], data[2]).statistic]
    assert mean_pairwise_spearman(data) == pytest.approx(np.mean(pairs))
    row = agreement("overall", ["a", "b", "c"], data.tolist())
    assert (row.raters, row.units, row.ratings) == (3, 5, 14)
