import math

import pytest

from evalkit.bots.base import Reply
from evalkit.parity import parity_metrics, reference_free, summarize_parity
from evalkit.results import Record
from evalkit.scorers.embedding import EmbeddingSimilarity
from evalkit.scorers.rubric import RubricScorer
from evalkit.summary import OVERALL


def _record(bot: str, case: int, score: float | None, intent: str) -> Record:
    return Record(bot=bot, case_id=f"c{case}", transcript_id=f"t{case}", turn_index=1, slices={"intent": intent},
                  context=(), reference="ref", reply=Reply("x"), scores={"rubric": score})


def test_paired_difference_ratio_and_slices():
    human = [_record("human", i, 1.0, "a" if i < 4 else "b") for i in range(6)]
    bot = [_record("bot", i, v, "a" if i < 4 else "b") for i, v in enumerate([0.5, 0.5, 1.0, 1.0, 0.0, None])]
    rows = {(p.slice_key, p.slice_value): p for p in summarize_parity(human + bot, ["rubric"], ["intent"])}
    overall = rows[(OVERALL, OVERALL)]
    assert overall.n == 5  # the case the bot has no score for is not paired
    assert overall.bot_mean == pytest.approx(0.6) and overall.human_mean == 1.0
    assert overall.diff == pytest.approx(-0.4) and overall.ratio == pytest.approx(0.6)
    assert overall.ci_low <= overall.diff <= overall.ci_high < 0
    assert rows[("intent", "a")].diff == pytest.approx(-0.25) and rows[("intent", "b")].n == 1
    assert math.isnan(rows[("intent", "b")].ci_low)  # one pair: no interval
    metrics = parity_metrics(list(rows.values()), "bot")
    assert metrics[("parity", "rubric", "diff")] == pytest.approx(-0.4)
    assert ("slice", "intent", "a", "parity", "rubric", "ratio") in metrics


def test_parity_only_for_reference_free_scorers_and_their_parts(tmp_path):
    rubric_file = tmp_path / "r.yaml"
    rubric_file.write_text("criteria:\n  - {name: brief, weight: 1, judge: length, max_words: 3}\n")
    scorers = [EmbeddingSimilarity(), RubricScorer(rubric_file)]
    assert reference_free(scorers, ["embedding", "rubric", "rubric/brief"]) == ["rubric", "rubric/brief"]
    assert summarize_parity([_record("bot", 0, 1.0, "a")], ["rubric"]) == []  # no human row, no parity
