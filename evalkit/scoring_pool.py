"""Scoring across processes: the overlap metrics are pure Python and CPU-bound, so threads would not help.

Opt-in (`scoring.workers`), and only for batches big enough to gain. Workers are forked per batch and read the
batch from memory they inherit, so nothing is pickled on the way in (cases hold read-only mappings that pickle
refuses) and only the scores come back, in order.

Only scorers that declare `forkable = True` go to the workers: pure-Python code with no threads of its own. A
forked child inherits a native thread pool's state but not its threads (torch, tokenizers, fastchrf's rayon pool),
and waits on it for ever.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from evalkit.bots.base import Reply
from evalkit.replay import Case
from evalkit.scorers.base import Score, Scorer

MIN_PARALLEL_BATCH = 256  # below this, forking costs more than it saves
_batch: tuple[Sequence[Scorer], Sequence[Case], Sequence[Reply]] | None = None


def resolve_workers(workers: int | str | None) -> int:
    """"auto": every core this process may use; None, 0 or 1: score in this process."""
    if workers in (None, 0, 1, "0", "1"):
        return 1
    if workers == "auto":
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, int(workers))


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _score_range(start: int, stop: int) -> dict[str, list[Score]]:
    assert _batch is not None
    scorers, cases, replies = _batch
    return {s.name: s.score(cases[start:stop], replies[start:stop]) for s in scorers}


def score_forked(scorers: Sequence[Scorer], cases: Sequence[Case], replies: Sequence[Reply], workers: int
                 ) -> dict[str, list[Score]]:
    """{scorer name: one score per case}, computed by `workers` forked processes over contiguous ranges."""
    global _batch
    step = -(-len(cases) // (workers * 2))  # two ranges per worker evens out uneven reply lengths
    _batch = (scorers, cases, replies)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_score_range, range(0, len(cases), step),
                                  [min(i + step, len(cases)) for i in range(0, len(cases), step)]))
    finally:
        _batch = None
    return {s.name: [score for part in parts for score in part[s.name]] for s in scorers}
