"""How far to trust each score: the agreement with people measured for a scorer (on which rated data, which
aspect, Spearman with its CI), carried with the run so that every place a score is shown can say it.

The measurements come from `evalkit validate` and the benchmarks (configs/validity/, each entry naming its source);
a scorer with no entry is shown as not measured against human ratings, never as trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from evalkit.errors import InvalidData

VALIDITY_TAG = "evalkit.validity."  # + scorer: the MLflow tag of the evaluation run that says it

_FIELDS = ("data", "aspect", "spearman", "ci_low", "ci_high", "n", "how", "source")


@dataclass(frozen=True)
class ScorerValidity:
    scorer: str
    data: str  # the rated data it was measured on, e.g. "FED turn-level (real human ratings)"
    aspect: str  # the rated aspect, e.g. "Overall"
    spearman: float
    ci_low: float
    ci_high: float
    n: int  # rated replies
    how: str = ""  # e.g. "5-fold cross-validation by dialogue", "zero-shot", "in-sample"
    source: str = ""  # where the measurement is written up

    def describe(self) -> str:
        how = f", {self.how}" if self.how else ""
        return (f"Spearman {self.spearman:.2f} [{self.ci_low:.2f}, {self.ci_high:.2f}] with {self.aspect} on "
                f"{self.data} (n={self.n}{how})")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measured_validity(entries: Mapping[str, Mapping[str, Any]], where: str = "validity") -> tuple[ScorerValidity, ...]:
    """The entries of a validity config (scorer -> measurement), each checked, or one line naming what is wrong."""
    found = []
    for scorer, entry in entries.items():
        missing = [k for k in _FIELDS[:7] if k not in entry]
        unknown = sorted(set(entry) - set(_FIELDS))
        if missing or unknown:
            raise InvalidData(f"{where}.{scorer}: " + "; ".join(
                ([f"missing {', '.join(missing)}"] if missing else []) +
                ([f"unknown key(s) {', '.join(unknown)} (an entry has {', '.join(_FIELDS)})"] if unknown else [])))
        try:
            found.append(ScorerValidity(scorer=str(scorer), data=str(entry["data"]), aspect=str(entry["aspect"]),
                                        spearman=float(entry["spearman"]), ci_low=float(entry["ci_low"]),
                                        ci_high=float(entry["ci_high"]), n=int(entry["n"]),
                                        how=str(entry.get("how", "")), source=str(entry.get("source", ""))))
        except (TypeError, ValueError) as err:
            raise InvalidData(f"{where}.{scorer}: spearman, ci_low, ci_high and n must be numbers ({err})") from None
    return tuple(found)
