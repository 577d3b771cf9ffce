"""Every score column of a new run records its direction, so compare never guesses one; a rate with no direction
(the handoff rate) is never called better or worse."""

from __future__ import annotations

import warnings
from pathlib import Path

from evalkit.compare.paired import Settings
from evalkit.compare.session import compare_sides
from evalkit.compare.sources import Side, load_sources
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.reply import Reply
from evalkit.scorers.handoff import HandoffScorer
from evalkit.scorers.overlap import TokenF1
from evalkit.scorers.rubric.rubric import RubricScorer
from evalkit.scorers.rubric.rules import Length, Phrases
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot
from tests.data import write_transcripts


class Flagging(EchoBot):
    """Says, like an HTTP bot with the handoff tool, whether each reply hands off."""

    def __init__(self, name: str, handoff: bool):
        super().__init__(name=name, fail_on="")
        self.handoff = handoff

    def reply_batch(self, cases):
        return [Reply(text="let me get you a colleague" if self.handoff else "I can do that", handoff=self.handoff)
                for _ in cases]


def test_rubric_parts_have_directions_and_handoff_rates_none(tmp_path: Path):
    rubric = RubricScorer({"short": {"weight": 1, "check": Length(max_words=4)},
                           "polite": {"weight": 1, "check": Phrases(required=["please", "thank"])}})
    evaluation = Evaluation(dataset=TableLoader(str(write_transcripts(tmp_path / "t.jsonl"))),
                            bots=[Flagging("keeping", False), Flagging("handing_over", True)],
                            scorers=[TokenF1(), rubric, HandoffScorer()], slices=("intent",),
                            stats=StatsSettings(n_resamples=50))
    run_dir = tmp_path / "run"
    summary = evaluate(evaluation, run_dir).summary.as_json()
    assert summary["scorers"]["rubric/short"]["higher_is_better"] is True
    assert summary["scorers"]["handoff"]["higher_is_better"] is None

    loaded = load_sources([str(run_dir)], fetch=lambda _: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "no recorded direction" would be raised here
        outcome = compare_sides(Side("keeping", str(run_dir)), [Side("handing_over", str(run_dir))], loaded,
                                Settings(stats=StatsSettings(n_resamples=50), n_permutations=199))
    rows = {(r.scorer, r.slice_key): r for r in outcome.comparisons[0].rows}
    handoff = rows[("handoff", "all")]
    assert handoff.diff > 0 and handoff.verdict(1.0) == "changed"  # significant at any alpha, yet neither way
    assert rows[("rubric/short", "all")].verdict(1.0) in ("better", "worse", "no sig. diff")
