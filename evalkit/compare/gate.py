"""The CI gate: fail when a gated scorer is significantly worse than the baseline by more than its margin.

"Significantly" uses the corrected p-value of the comparison; "by more than its margin" the point estimate of the
paired difference, in the scorer's units and direction. A scorer is checked overall and on every value of the
slice keys its rule lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evalkit.compare.paired import CandidateComparison, PairedRow
from evalkit.errors import InvalidData
from evalkit.summaries.slices import OVERALL


@dataclass(frozen=True)
class GateRule:
    scorer: str
    margin: float = 0.0  # tolerated worsening, in the scorer's units
    slices: tuple[str, ...] = ()  # slice keys checked value by value, besides the overall score


@dataclass(frozen=True)
class Violation:
    candidate: str
    row: PairedRow
    margin: float

    def describe(self) -> str:
        where = "overall" if self.row.slice_key == OVERALL else f"{self.row.slice_key}={self.row.slice_value}"
        return (f"{self.candidate} is worse than {self.row.baseline} on {self.row.scorer} ({where}) by "
                f"{-self.row.improvement:.4g} (margin {self.margin:.4g}; "
                f"{self.row.baseline_mean:.4g} -> {self.row.candidate_mean:.4g}, "
                f"95% CI of the difference [{self.row.ci_low:.4g}, {self.row.ci_high:.4g}], "
                f"corrected p={self.row.p_adjusted:.3g}, n={self.row.n})")


def check_gate(
    comparisons: Sequence[CandidateComparison], rules: Sequence[GateRule], alpha: float
) -> list[Violation]:
    violations = []
    for comparison in comparisons:
        for rule in rules:
            for row in comparison.rows:
                if row.scorer != rule.scorer or (row.slice_key != OVERALL and row.slice_key not in rule.slices):
                    continue
                if row.p_adjusted < alpha and -row.improvement > rule.margin:
                    violations.append(Violation(comparison.candidate, row, rule.margin))
    return violations


def check_rules(rules: Sequence[GateRule], compared: Mapping[str, bool | None]) -> None:
    """A gate that silently checks nothing must not pass: every gated scorer must be compared, with a direction."""
    missing = [r.scorer for r in rules if r.scorer not in compared]
    if missing:
        raise InvalidData(f"gate: scorer(s) {', '.join(missing)} are not in the comparison "
                          f"(compared: {', '.join(compared)})")
    directionless = [r.scorer for r in rules if compared[r.scorer] is None]
    if directionless:
        raise InvalidData(f"gate: scorer(s) {', '.join(directionless)} have no better direction (a rate such as "
                          "handoffs): gate on a scorer that can get worse")
