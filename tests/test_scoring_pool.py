from __future__ import annotations

import pytest

from evalkit.bots.recorded import RecordedBot
from evalkit.loaders.table import TableLoader
from evalkit.replay import expand
from evalkit.runner import score_replies
from evalkit.scorers.overlap import ChrF, TokenF1
from evalkit.scoring_pool import MIN_PARALLEL_BATCH, resolve_workers
from tests.conftest import DEMO


@pytest.mark.timeout(120)  # a forked child waiting on an inherited thread pool hangs for ever
def test_forked_scoring_gives_the_same_scores_in_the_same_order():
    cases = list(expand(TableLoader(str(DEMO / "transcripts.jsonl")).load().transcripts))
    replies = RecordedBot(str(DEMO / "replies_bot_v1.jsonl"), "bot_v1").reply_batch(cases)  # 9 failed replies
    assert len(cases) >= MIN_PARALLEL_BATCH
    scorers = [ChrF(), TokenF1()]
    # In-process first: it starts fastchrf's native thread pool, which the forked scoring must then not rely on.
    in_process = score_replies(scorers, cases, replies)
    assert score_replies(scorers, cases, replies, workers=2) == in_process


def test_resolve_workers():
    assert resolve_workers(None) == resolve_workers(1) == 1
    assert resolve_workers("auto") >= 1 and resolve_workers(3) == 3
