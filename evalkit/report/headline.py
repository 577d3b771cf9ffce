"""The plain-language headline of a dashboard, generated from the numbers, never written by hand: how far each
version is from the human agents, where a version got significantly worse than the one before, whether customers
who needed a human got one, and what replies failed or cost.

"Significantly" here is conservative and needs no per-case data: the two versions' 95 % intervals do not overlap
(a paired test, `evalkit compare`, finds more).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from evalkit.report.formatting import ci, num, percent, signed
from evalkit.summaries.domain import OUTSIDE, flags_outside
from evalkit.summaries.versions import SliceRow, VersionResult


@dataclass(frozen=True)
class Regression:
    version: VersionResult
    previous: VersionResult
    scorer: str
    now: SliceRow
    before: SliceRow

    def describe(self) -> str:
        where = f"{self.now.slice_key}={self.now.slice_value}"
        return (f"{self.version.bot} got worse than {self.previous.bot} on {where}: "
                f"{self.scorer} {ci(self.now.mean, self.now.ci_low, self.now.ci_high, digits=None)} vs "
                f"{ci(self.before.mean, self.before.ci_low, self.before.ci_high, digits=None)}")


def regressions(versions: Sequence[VersionResult]) -> list[Regression]:
    """Per version, slices of its primary scorer where it is below the previous version with intervals apart
    (above, for a scorer where lower is better); largest drop first within each version."""
    found = []
    for previous, version in pairwise(versions):
        scorer = version.primary
        direction = version.directions.get(scorer, True)
        if direction is None:
            continue
        before = {(r.slice_key, r.slice_value): r for r in previous.rows(scorer)}
        worse = []
        for now in version.rows(scorer):
            old = before.get((now.slice_key, now.slice_value))
            if old is None or math.isnan(now.ci_high) or math.isnan(old.ci_low):
                continue
            apart = now.ci_high < old.ci_low if direction else now.ci_low > old.ci_high
            if apart:
                worse.append(Regression(version, previous, scorer, now, old))
        found += sorted(worse, key=lambda r: -abs(r.before.mean - r.now.mean))
    return found


def human_gap(version: VersionResult) -> str | None:
    """Where the version is furthest below the human agents on its first reference-free scorer."""
    scorers = version.parity_scorers()
    if not scorers:
        return None
    scorer = scorers[0]
    overall = version.metric(f"parity/{scorer}/ratio")
    below = [r for r in version.rows(scorer) if r.parity_ci_high < 0]
    text = f"{version.bot} scores {percent(overall)} of the human agents' {scorer} overall"
    if flags_outside(version.domain.get(scorer, "")):
        text += f" (⚠ {scorer} is {OUTSIDE}: the human agents' replies score like the wrong replies it was trained on)"
    elif overall > 1:
        text += (f" (⚠ above the human agents: the bot may be better, or {scorer} may not judge this domain; check "
                 "its validity here before reading it as a win)")
    if below:
        worst = min(below, key=lambda r: r.parity_diff)
        text += (f"; furthest below them on {worst.slice_key}={worst.slice_value}: {percent(worst.parity_ratio)} "
                 f"({signed(worst.parity_diff)} [{signed(worst.parity_ci_low)}, {signed(worst.parity_ci_high)}])")
    else:
        text += "; on no slice is it significantly below them"
    return text


def handoffs(version: VersionResult) -> str | None:
    scorer = version.handoff_scorer()
    if scorer is None:
        return None
    missed, got, unnecessary = (int(version.metric(f"{scorer}/{k}")) for k in ("fn", "tp", "fp"))
    needed = missed + got
    if not needed and not unnecessary:
        return None
    return (f"{version.bot}: {missed} of {needed} customers who needed a human (asked for one, or the agent handed "
            f"off) did not get one; {unnecessary} handoff{'s' if unnecessary != 1 else ''} when none was needed")


def errors_and_cost(versions: Sequence[VersionResult]) -> str:
    failing = [f"{v.bot} {percent(v.metric('error_rate'))} ({int(v.metric('n_errors'))} of {int(v.metric('n_cases'))})"
               for v in versions if v.metric("n_errors") > 0]
    costed = [f"{v.bot} {num(v.metric('cost_per_conversation'), 4)}" for v in versions
              if not math.isnan(v.metric("cost_per_conversation"))]
    parts = [("Failed replies: " + ", ".join(failing)) if failing else "No version had failed replies",
             ("cost per conversation: " + ", ".join(costed)) if costed else "no version reported its cost"]
    return "; ".join(parts)


def headline(versions: Sequence[VersionResult]) -> list[str]:
    """The headline sentences, versions in the order they were evaluated."""
    if not versions:
        return ["No bot versions found."]
    lines = [text for v in versions if (text := human_gap(v))]
    found = regressions(versions)
    lines += [r.describe() for r in found] or (
        [f"No version is significantly worse than the one before it on any slice of {versions[-1].primary}"]
        if len(versions) > 1 else [])
    lines += [text for v in versions if (text := handoffs(v))]
    lines.append(errors_and_cost(versions))
    return [line + "." for line in lines]
