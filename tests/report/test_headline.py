"""The headline is generated from the numbers: a slice whose intervals separate is a regression, one whose
intervals overlap is not; handoff and error sentences carry the counts they are given."""

from __future__ import annotations

from evalkit.report.headline import headline, regressions
from evalkit.summaries.versions import SliceRow, VersionResult


def version(bot: str, late_fee: tuple[float, float, float], missed: int = 2, got: int = 8, errors: int = 0
            ) -> VersionResult:
    mean, low, high = late_fee
    return VersionResult(
        bot=bot, version="v", dataset="d", started_ms=0, primary="chrf", directions={"chrf": True},
        metrics={"chrf/mean": mean, "parity/rubric/diff": -0.1, "parity/rubric/ratio": 0.9, "handoff/recall": 0.8,
                 "handoff/fn": missed, "handoff/tp": got, "handoff/fp": 1, "n_errors": errors, "n_cases": 100,
                 "error_rate": errors / 100},
        slices=(SliceRow("intent", "late_fee", "chrf", mean, low, high, 40),
                SliceRow("intent", "refund", "rubric", 0.8, 0.7, 0.9, 40, human_mean=1.0, parity_diff=-0.2,
                         parity_ci_low=-0.3, parity_ci_high=-0.1, parity_ratio=0.8)))


def test_separated_intervals_are_a_regression_and_overlapping_ones_are_not():
    v1, v2 = version("v1", (23.0, 19.0, 27.6)), version("v2", (13.0, 11.5, 14.6))
    (found,) = regressions([v1, v2])
    assert (found.version.bot, found.now.slice_value) == ("v2", "late_fee")
    assert regressions([v1, version("v3", (20.0, 15.0, 25.0))]) == []
    lower_is_better = VersionResult(**{**v2.__dict__, "directions": {"chrf": False}})
    assert regressions([v1, lower_is_better]) == []  # lower is better: a drop is no regression


def test_headline_sentences_carry_the_counts():
    lines = headline([version("v1", (23.0, 19.0, 27.6), errors=9), version("v2", (13.0, 11.5, 14.6), missed=11,
                                                                            got=28)])
    text = " ".join(lines)
    assert "v2 got worse than v1 on intent=late_fee: chrf 13.0 [11.5, 14.6] vs 23.0 [19.0, 27.6]" in text
    assert "v2: 11 of 39 customers who needed a human" in text and "1 handoff when none was needed" in text
    assert "furthest below them on intent=refund: 80%" in text
    assert "v1 9% (9 of 100)" in text and "no version reported its cost" in text


def test_a_parity_above_the_human_agents_is_never_said_without_its_warning():
    plain = version("v1", (23.0, 19.0, 27.6))
    assert "⚠" not in " ".join(headline([plain]))
    above = VersionResult(**{**plain.__dict__, "metrics": {**plain.metrics, "parity/rubric/ratio": 1.47}})
    (gap, *_) = headline([above])
    assert gap.startswith("v1 scores 147% of the human agents' rubric overall (⚠ above the human agents: the bot may "
                          "be better, or rubric may not judge this domain")
    outside = VersionResult(**{**above.__dict__, "domain": {"rubric": "outside its training domain: …"}})
    (gap, *_) = headline([outside])
    assert "(⚠ rubric is outside its training domain: the human agents' replies score like the wrong replies it " \
           "was trained on)" in gap
