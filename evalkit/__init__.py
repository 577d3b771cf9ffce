"""evalkit: replay real support transcripts through candidate bots, score them against the human agents, track it."""

__version__ = "0.1.0"

from evalkit.bots.base import Bot, Reply
from evalkit.bots.cache import CachedBot, ReplyStore
from evalkit.bots.transformers_bot import TransformersBot
from evalkit.evaluate import Evaluation, Outcome, evaluate
from evalkit.replay import Case, expand
from evalkit.results import Record, ResultsLog
from evalkit.scorers.base import Score, Scorer
from evalkit.transcript import InvalidData, InvalidRecord, Transcript, Turn

__all__ = [
    "Bot",
    "CachedBot",
    "Case",
    "Evaluation",
    "InvalidData",
    "InvalidRecord",
    "Outcome",
    "Record",
    "Reply",
    "ReplyStore",
    "ResultsLog",
    "Score",
    "Scorer",
    "Transcript",
    "TransformersBot",
    "Turn",
    "__version__",
    "evaluate",
    "expand",
]
