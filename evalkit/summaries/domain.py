"""Is a trained scorer inside its domain? The run's human replies held to the scorer's own training data.

A scorer learned from data knows, from its cross-validation, where a good reply of that data lands on its scale (the
mean over its positives) and where a wrong one lands (its negatives): `Scorer.training_profile`. The human agents'
replies of a run are good replies of the run's domain, by the run's own premise. When they land nearer the training
negatives than the positives, the scorer does not recognise this domain's good replies, and a bot's parity on it
(above 100 % most of all) says more about the scorer than about the bot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from evalkit.contract import Scorer, TrainingProfile
from evalkit.summaries.columns import RecordColumns

DOMAIN_TAG = "evalkit.domain."  # + scorer: the MLflow tag of the evaluation run that says it
# The human mean's place between the training negatives' mean (0) and positives' (1) below which it is flagged:
# nearer the replies the scorer was taught are wrong than the ones it was taught are right.
OUTSIDE_BELOW = 0.5
OUTSIDE, WITHIN = "outside its training domain", "within its training domain"  # how a check's description begins


@dataclass(frozen=True)
class DomainCheck:
    scorer: str
    human_mean: float
    n: int  # human replies scored
    profile: TrainingProfile

    @property
    def position(self) -> float:
        """Where the human mean lies: 0 at the training negatives' mean, 1 at the positives' (can leave 0..1)."""
        p = self.profile
        return (self.human_mean - p.negative_mean) / (p.positive_mean - p.negative_mean)

    @property
    def outside(self) -> bool:
        return self.position < OUTSIDE_BELOW

    def describe(self) -> str:
        p = self.profile
        verdict = OUTSIDE if self.outside else WITHIN
        return (f"{verdict}: the human agents' replies score {self.human_mean:.2f} on average (n={self.n}), its "
                f"training data's good replies {p.positive_mean:.2f} and wrong ones {p.negative_mean:.2f} "
                f"({p.source})")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "position": self.position, "outside": self.outside}


def flags_outside(described: str) -> bool:
    """Whether a check as described (DomainCheck.describe, what the MLflow tag holds) flags its scorer."""
    return described.startswith(OUTSIDE)


def check_domains(columns: RecordColumns, scorers: Sequence[Scorer]) -> list[DomainCheck]:
    """One check per reference-free scorer that knows its training profile, when the run has human replies."""
    human = next((b for b in columns.bots if b.replies_with_reference), None)
    if human is None:
        return []
    checks = []
    for scorer in (s for s in scorers if not s.needs_reference):
        values = human.score(scorer.name)
        values = values[~np.isnan(values)]
        # Only a scorer that scored the human replies is asked: its model is loaded, and its profile with it.
        if not len(values) or (profile := scorer.training_profile()) is None:
            continue
        if profile.positive_mean > profile.negative_mean:  # else a profile that cannot tell good from wrong
            checks.append(DomainCheck(scorer.name, float(values.mean()), len(values), profile))
    return checks
