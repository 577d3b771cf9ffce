"""The extension contract's defaults are the only defaults: every part of evalkit reads the same declaration."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from evalkit.bots.cache import CachedBot, ReplyStore, with_cache
from evalkit.cli.config import build_all
from evalkit.contract import Bot, Scorer
from evalkit.errors import InvalidData
from evalkit.pipeline.runner import scorers_for
from evalkit.reply import Reply, Score
from evalkit.scorers.combined import CombinationFile, CombinedScorer
from evalkit.summaries.run import columns_of


class Plain(Scorer):
    """Declares nothing beyond what it must."""

    def __init__(self, name: str = "plain"):
        self.name = name

    def score(self, cases, replies):
        return [Score(1.0) for _ in replies]


class Quiet(Bot):
    def __init__(self, name: str = "quiet"):
        self.name = name

    def fingerprint(self):
        return "quiet"

    def reply_batch(self, cases):
        return [Reply("ok") for _ in cases]


class NotAScorer:
    name = "almost"


def test_scorer_defaults_agree_everywhere(tmp_path):
    plain = Plain()
    assert (plain.higher_is_better, plain.needs_reference, plain.summary, plain.judge_usage()) == (True, True,
                                                                                                   "mean", None)
    combined = CombinedScorer(CombinationFile(tmp_path / "none.json"), {"plain": plain})
    (column,) = columns_of([plain], [])
    assert combined.needs_reference is column.needs_reference is True  # one default: combined, parity, human row
    assert scorers_for([plain], reply_is_reference=True) == []


def test_bot_defaults_and_the_cache_read_the_declaration(tmp_path):
    quiet = Quiet()
    assert (quiet.cacheable, quiet.replies_with_reference, quiet.needs_fit) == (True, False, False)
    assert quiet.fit([]) is None
    (wrapped,) = with_cache([quiet], ReplyStore(tmp_path / "c.sqlite"))
    assert isinstance(wrapped, CachedBot)


def test_an_object_that_is_not_a_scorer_is_refused_at_start_up():
    nodes = OmegaConf.create({"almost": {"_target_": "tests.test_contract.NotAScorer"}})
    with pytest.raises(InvalidData, match=r"^scorers\.almost: tests\.test_contract\.NotAScorer is not a Scorer"):
        build_all(nodes, "scorers", Scorer)
