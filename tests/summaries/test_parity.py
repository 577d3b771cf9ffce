import math

import pytest

from evalkit.contract import Scorer
from evalkit.reply import Reply, Score
from evalkit.results import Record
from evalkit.scorers.embedding import EmbeddingSimilarity
from evalkit.scorers.rubric.rubric import RubricScorer
from evalkit.scorers.rubric.rules import Length
from evalkit.summaries.columns import RecordColumns
from evalkit.summaries.parity import summarize_parity
from evalkit.summaries.run import DatasetInfo, StatsSettings, summarize
from evalkit.summaries.slices import OVERALL

_DATASET = DatasetInfo("d", "d.jsonl", "0" * 64, 6)


def _record(bot: str, case: int, score: float | None, intent: str, **more: float) -> Record:
    return Record(bot=bot, case_id=f"c{case}", transcript_id=f"t{case}", turn_index=1, slices={"intent": intent},
                  context=(), reference="ref", reply=Reply("x"), scores={"rubric": score, **more},
                  reply_is_reference=bot == "human")


class _Yardstick(Scorer):
    """A reference-free check that can score any reply, the human's too, low (as a classifier or a judge can)."""

    name = "yardstick"
    needs_reference = False
    scale = (0.0, 1.0)

    def score(self, cases, replies):
        return [Score(float(len(r.text or "") < 10)) for r in replies]


def _rubric(check: Scorer | None = None) -> RubricScorer:
    return RubricScorer({"brief": {"weight": 1, "check": check or _Yardstick()}}, name="rubric", rubric="r")


def test_paired_difference_ratio_and_slices():
    human = [_record("human", i, 1.0, "a" if i < 4 else "b") for i in range(6)]
    bot = [_record("bot", i, v, "a" if i < 4 else "b") for i, v in enumerate([0.5, 0.5, 1.0, 1.0, 0.0, None])]
    columns = RecordColumns.of(human + bot)
    rows = {(p.slice_key, p.slice_value): p for p in summarize_parity(columns, ["rubric"], ["intent"])}
    overall = rows[(OVERALL, OVERALL)]
    assert overall.n == 5  # the case the bot has no score for is not paired
    assert overall.bot_mean == pytest.approx(0.6) and overall.human_mean == 1.0
    assert overall.diff == pytest.approx(-0.4) and overall.ratio == pytest.approx(0.6)
    assert overall.ci_low <= overall.diff <= overall.ci_high < 0
    assert rows[("intent", "a")].diff == pytest.approx(-0.25) and rows[("intent", "b")].n == 1
    assert math.isnan(rows[("intent", "b")].ci_low)  # one pair: no interval
    summary = summarize(columns, [_rubric()], ["intent"], StatsSettings(), name="t", dataset=_DATASET, cases=6,
                        primary="rubric")
    assert list(summary.parity) == list(rows.values())  # the run summary's parity is these rows
    metrics = summary.bot_metrics("bot")
    assert metrics["parity/rubric/diff"] == pytest.approx(-0.4)
    assert not any(k.startswith("slice/") for k in metrics)  # slices are the bot's table, not metrics
    row = next(r for r in summary.slice_table("bot") if r["slice_value"] == "a" and r["scorer"] == "rubric")
    assert row["parity_diff"] == pytest.approx(-0.25) and row["human_mean"] == 1.0


def test_parity_only_for_reference_free_scorers_and_their_parts():
    both = {"embedding": 0.5, "rubric/brief": 1.0}
    records = [_record(bot, i, 1.0, "a", **both) for bot in ("human", "bot") for i in range(3)]
    summary = summarize(RecordColumns.of(records), [EmbeddingSimilarity(), _rubric()], [],
                        StatsSettings(n_resamples=50), name="t", dataset=_DATASET, cases=3, primary="rubric")
    assert {p.scorer for p in summary.parity} == {"rubric", "rubric/brief"}
    rules_only = summarize(RecordColumns.of(records), [EmbeddingSimilarity(), _rubric(Length(max_words=3))], [],
                           StatsSettings(n_resamples=50), name="t", dataset=_DATASET, cases=3, primary="rubric")
    assert rules_only.parity == ()  # rules a logged human reply passes as written are checks, not a yardstick
    no_human = RecordColumns.of([_record("bot", 0, 1.0, "a")])
    assert summarize_parity(no_human, ["rubric"]) == []  # no human row, no parity
