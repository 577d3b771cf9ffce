"""Warm re-run vs cold run through the reply cache: a 100 ms bot on 1,000 cases (target: warm >= 50x faster).

The bot sleeps `--delay` seconds per case, one case after another (a backend answering one request at a time),
so the cold run costs about cases x delay. Both runs go through CachedBot and the runner (run_bot) with a fresh
results log each, in batches of 32, with no scorers, so the figure is the reply path alone. The warm run uses
a new CachedBot over the same SQLite store, i.e. what a re-run in a new process finds on disk.

    PYTHONPATH=. python benchmarks/cache_speedup.py [--cases 1000] [--delay 0.1] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from random_models import machine, today

from evalkit.bots.cache import CachedBot, ReplyStore
from evalkit.bots.fingerprint import fingerprint_of
from evalkit.pipeline.runner import run_bot
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.results import ResultsLog
from evalkit.transcript import Turn


class SleepyBot:
    name = "sleepy"

    def __init__(self, delay: float):
        self.delay = delay
        self.calls = 0

    def fingerprint(self) -> str:
        return fingerprint_of("sleepy", delay=self.delay)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        replies = []
        for case in cases:
            self.calls += 1
            time.sleep(self.delay)
            replies.append(Reply(text=f"re: {case.context[-1].text}", latency_s=self.delay))
        return replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--out", type=Path, default=None, help="directory to write cache_speedup.md into")
    args = parser.parse_args()
    header = f"machine: {machine()}; date: {today()}"
    cases = [Case(id=f"c{i}:1", transcript_id=f"c{i}", turn_index=1,
                  context=(Turn("customer", f"question number {i} about my card"),), reference=Turn("agent", "ok"))
             for i in range(args.cases)]
    with tempfile.TemporaryDirectory() as tmp:
        store_path = Path(tmp) / "replies.sqlite"
        timings = {}
        for label in ("cold", "warm"):
            bot = SleepyBot(args.delay)
            began = time.perf_counter()
            run_bot(CachedBot(bot, ReplyStore(store_path)), cases, [], ResultsLog(Path(tmp) / f"{label}.jsonl"))
            timings[label] = (time.perf_counter() - began, bot.calls)
    (cold, cold_calls), (warm, warm_calls) = timings["cold"], timings["warm"]
    table = "\n".join([
        f"# Reply cache: warm vs cold ({args.cases} cases, bot sleeps {args.delay * 1000:.0f} ms per case)", "",
        header, "",
        "| run | wall s | bot calls (cases) | cases/s |", "|---|---|---|---|",
        f"| cold | {cold:.2f} | {cold_calls} | {args.cases / cold:.1f} |",
        f"| warm | {warm:.3f} | {warm_calls} | {args.cases / warm:.0f} |", "",
        f"**warm is {cold / warm:.0f}x faster than cold** (target >= 50x).", ""])
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "cache_speedup.md").write_text(table)


if __name__ == "__main__":
    main()
