"""Splitting a dataset across jobs (`shard=i/n`) and putting the shards' results back together.

A transcript's shard is a hash of its id, so every job agrees on the split without talking to the others, the split
does not change when transcripts are added or reordered, and all turns of a conversation stay in one shard.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evalkit.errors import InvalidData
from evalkit.results import ResultsLog
from evalkit.transcript import Transcript


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    @classmethod
    def parse(cls, spec: str | None) -> Shard | None:
        """"i/n" (0 <= i < n) or None."""
        if spec is None or str(spec).strip() in ("", "None", "null"):
            return None
        index, _, count = str(spec).partition("/")
        try:
            shard = cls(int(index), int(count))
        except ValueError:
            raise InvalidData(f"shard={spec!r}: expected i/n, e.g. shard=0/4") from None
        if shard.count < 1 or not 0 <= shard.index < shard.count:
            raise InvalidData(f"shard={spec!r}: need 0 <= i < n")
        return shard

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, transcript_id: str) -> bool:
        digest = hashlib.sha256(transcript_id.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index

    def select(self, transcripts: Iterable[Transcript]) -> tuple[Transcript, ...]:
        return tuple(t for t in transcripts if self.holds(t.id))


def shard_dirs(paths: Sequence[str | Path]) -> list[Path]:
    """Run directories of shards: each path is one, or a sweep directory whose job subdirectories are."""
    found: list[Path] = []
    for path in map(Path, paths):
        if (path / "results.jsonl").exists():
            found.append(path)
        elif path.is_dir():
            found += sorted(p.parent for p in path.glob("*/results.jsonl"))
        else:
            raise InvalidData(f"merge: {path}: no such run or sweep directory")
    if not found:
        raise InvalidData(f"merge: no results.jsonl in {', '.join(map(str, paths))}")
    return found


def merge_shards(dirs: Sequence[Path], digest: str, into: ResultsLog) -> int:
    """Append every shard's records to `into`, after checking they are all n shards of the same data, once each.

    Returns the number of records merged.
    """
    seen: dict[int, Path] = {}
    counts = set()
    for path in dirs:
        summary_path = path / "summary.json"
        if not summary_path.exists():
            raise InvalidData(f"merge: {path}: no summary.json (the shard did not finish)")
        summary = json.loads(summary_path.read_text())
        shard = Shard.parse(summary.get("shard"))
        if shard is None:
            raise InvalidData(f"merge: {path} is not a shard (its run had no shard=i/n)")
        if summary["dataset"]["digest"] != digest:
            raise InvalidData(f"merge: {path} evaluated different data (digest {summary['dataset']['digest'][:12]}, "
                              f"expected {digest[:12]})")
        if shard.index in seen:
            raise InvalidData(f"merge: shard {shard} twice: {seen[shard.index]} and {path}")
        seen[shard.index] = path
        counts.add(shard.count)
    if len(counts) != 1 or len(seen) != next(iter(counts)):
        have = ", ".join(f"{i}" for i in sorted(seen))
        raise InvalidData(f"merge: incomplete shards: have indices {have} of n={sorted(counts)}")
    merged = 0
    for index in sorted(seen):
        records = ResultsLog(seen[index] / "results.jsonl").read()
        into.append(records)
        merged += len(records)
    return merged
