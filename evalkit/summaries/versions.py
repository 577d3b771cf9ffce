"""One evaluated bot version as a dashboard reads it: its headline metrics and its per-slice table, whether they come
from MLflow (evalkit.tracking.history) or from a run's summary (`from_summary`, for report.html). Both carry the
same names as the bot run in MLflow, so what a page shows can be checked against the store."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evalkit.summaries.run import RunSummary
from evalkit.summaries.slices import OVERALL


@dataclass(frozen=True)
class SliceRow:
    """A row of the bot run's `slices.json` table (evalkit.summaries.run.SLICE_TABLE_COLUMNS)."""

    slice_key: str
    slice_value: str
    scorer: str
    mean: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    n: int = 0
    human_mean: float = math.nan
    parity_diff: float = math.nan
    parity_ci_low: float = math.nan
    parity_ci_high: float = math.nan
    parity_ratio: float = math.nan
    handoff_asked: int | None = None
    handoff_got: int | None = None
    handoff_missed: int | None = None
    handoff_unnecessary: int | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> SliceRow:
        known = {k: v for k, v in row.items() if k in cls.__dataclass_fields__ and v is not None}
        floats = ("mean", "ci_low", "ci_high", "human_mean", "parity_diff", "parity_ci_low", "parity_ci_high",
                  "parity_ratio")
        return cls(**{k: float(v) if k in floats else int(v) if k.startswith("handoff_") or k == "n" else str(v)
                      for k, v in known.items() if not (isinstance(v, float) and math.isnan(v))})


@dataclass(frozen=True)
class VersionResult:
    bot: str
    version: str  # the version label (bot config `version:`, else the fingerprint's start)
    dataset: str
    started_ms: int  # when its evaluation ran: versions are ordered by it
    metrics: Mapping[str, float]  # the bot run's metrics, as named in MLflow
    slices: tuple[SliceRow, ...] = ()
    primary: str = "chrf"  # the run's primary scorer
    directions: Mapping[str, bool | None] = field(default_factory=dict)  # scorer -> higher_is_better
    run_id: str | None = None  # the bot's MLflow run
    parent_run_id: str | None = None
    experiment_id: str | None = None
    model_id: str | None = None  # the logged model (bot version)
    audit: str | None = None  # the run (bot or parent) whose artifacts hold an audit page, audit.html
    validity: Mapping[str, str] = field(default_factory=dict)  # scorer -> its measured agreement with people
    domain: Mapping[str, str] = field(default_factory=dict)  # trained scorer -> its domain check in that run

    @property
    def label(self) -> str:
        return self.bot if self.version in ("", self.bot) else f"{self.bot} · {self.version}"

    def metric(self, name: str) -> float:
        return self.metrics.get(name, math.nan)

    def rows(self, scorer: str, slice_key: str | None = None) -> list[SliceRow]:
        """The scorer's rows of one slice key (all keys but the whole set when None)."""
        return [r for r in self.slices if r.scorer == scorer and r.slice_key != OVERALL
                and (slice_key is None or r.slice_key == slice_key)]

    def parity_scorers(self) -> list[str]:
        return [k.split("/")[1] for k in self.metrics if k.startswith("parity/") and k.endswith("/diff")]

    def handoff_scorer(self) -> str | None:
        return next((k.split("/")[0] for k in self.metrics if k.endswith("/recall") and f"{k[:-7]}/fn" in self.metrics),
                    None)


def from_summary(summary: RunSummary, run_id: str | None = None, started_ms: int = 0) -> list[VersionResult]:
    """The bots of one run (the human row aside), as a dashboard of that run shows them."""
    directions = {c.name: c.higher_is_better for c in summary.columns}
    return [VersionResult(bot=b.bot, version="", dataset=summary.dataset.name, started_ms=started_ms,
                          metrics=summary.bot_metrics(b.bot),
                          slices=tuple(SliceRow.of(r) for r in summary.slice_table(b.bot)), primary=summary.primary,
                          directions=directions, parent_run_id=run_id,
                          validity={v.scorer: v.describe() for v in summary.validity},
                          domain={d.scorer: d.describe() for d in summary.domain})
            for b in summary.bots if not b.replies_with_reference]
