"""evalkit: replay real support transcripts through candidate bots, score them against the human agents, track it.

The public API. Names load on first use, so `import evalkit` (and `evalkit --help`) costs almost nothing; each
command imports what it uses.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Bot": "evalkit.contract", "Scorer": "evalkit.contract", "JudgeUsage": "evalkit.contract",
    "Reply": "evalkit.reply", "Score": "evalkit.reply",
    "Case": "evalkit.replay", "expand": "evalkit.replay",
    "Transcript": "evalkit.transcript", "Turn": "evalkit.transcript",
    "InvalidData": "evalkit.errors", "InvalidRecord": "evalkit.errors",
    "Record": "evalkit.results", "ResultsLog": "evalkit.results",
    "CachedBot": "evalkit.bots.cache", "ReplyStore": "evalkit.bots.reply_store",
    "Evaluation": "evalkit.pipeline.evaluate", "evaluate": "evalkit.pipeline.evaluate",
    "Outcome": "evalkit.pipeline.publish", "RunSummary": "evalkit.summaries.run",
    "StatsSettings": "evalkit.summaries.run",
}

__all__ = [  # the names of _EXPORTS, spelt out for readers and linters
    "Bot", "CachedBot", "Case", "Evaluation", "InvalidData", "InvalidRecord", "JudgeUsage", "Outcome", "Record",
    "Reply", "ReplyStore", "ResultsLog", "RunSummary", "Score", "Scorer", "StatsSettings", "Transcript", "Turn",
    "__version__", "evaluate", "expand",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'evalkit' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from evalkit.bots.cache import CachedBot
    from evalkit.bots.reply_store import ReplyStore
    from evalkit.contract import Bot, JudgeUsage, Scorer
    from evalkit.errors import InvalidData, InvalidRecord
    from evalkit.pipeline.evaluate import Evaluation, evaluate
    from evalkit.pipeline.publish import Outcome
    from evalkit.replay import Case, expand
    from evalkit.reply import Reply, Score
    from evalkit.results import Record, ResultsLog
    from evalkit.summaries.run import RunSummary, StatsSettings
    from evalkit.transcript import Transcript, Turn
