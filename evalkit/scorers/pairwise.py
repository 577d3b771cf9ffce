"""Blinded pairwise judge, bot vs human: 1 win, 0.5 tie (or orders disagree), 0 loss per case.

The mean is the bot's win rate against the human with ties counted half, so the usual summaries give it a CI per
bot and per slice; the label (win/tie/split/loss) feeds the win/tie/loss counts and the position-bias rate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from evalkit.bots.base import Bot, Reply
from evalkit.judges.pairwise import PairwiseJudge
from evalkit.judges.prompts import PAIRWISE_QUESTION
from evalkit.replay import Case
from evalkit.scorers.base import Score


class PairwiseScorer:
    higher_is_better = True
    needs_reference = True
    pairwise = True  # summaries add win/tie/loss counts and the position-bias rate for scorers marked so

    def __init__(self, backend: Bot, name: str = "pairwise", question: str = PAIRWISE_QUESTION, max_attempts: int = 3):
        self.name = name
        self.judge = PairwiseJudge(backend, question, max_attempts)

    @property
    def usage(self):
        return self.judge.usage

    def use_cache(self, wrap: Callable[[Bot], Bot]) -> None:
        self.judge.backend = wrap(self.judge.backend)

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        scores: list[Score | None] = [None] * len(cases)
        asked = []
        for i, (case, reply) in enumerate(zip(cases, replies, strict=True)):
            if " ".join((reply.text or "").split()) == " ".join(case.reference.text.split()):
                # The human row (or a bot that copied the human): nothing to judge, and no tokens to spend.
                scores[i] = Score(0.5, label="tie", rationale="same text as the human reply")
            else:
                asked.append(i)
        verdicts = self.judge.compare([cases[i] for i in asked], [replies[i].text or "" for i in asked],
                                      [cases[i].reference.text for i in asked])
        for i, v in zip(asked, verdicts, strict=True):
            scores[i] = Score(v.value, label=v.outcome, rationale=v.rationale if v.error is None else v.error)
        return [s for s in scores if s is not None]
