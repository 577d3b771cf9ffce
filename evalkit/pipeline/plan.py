"""What a run learns from one pass over its dataset before replaying anything, and the parts it then replays.

A run never holds the whole dataset: it surveys it once (the cases and their order, the slice keys it has, the
accounts its agents write from), then replays it part by part, each part's transcripts, cases and redacted copies
dropped once every bot has replied to them. Memory then grows with the cases' ids, not with their text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from evalkit.errors import InvalidData
from evalkit.pipeline.sharding import Shard
from evalkit.replay import Case, Policy, expand
from evalkit.transcript import Transcript

PART_CASES = 2048  # cases replayed together: enough to keep a bot's batches full, few enough to stay small


@dataclass(frozen=True)
class Plan:
    case_order: Mapping[str, int]  # case id -> its position in the run (only the shard's cases, with a shard)
    transcripts: int  # in the run (the shard's)
    agent_accounts: frozenset[str]  # the `speaker` of agent turns: support accounts, no person's

    @property
    def cases(self) -> int:
        return len(self.case_order)


def survey(transcripts: Iterable[Transcript], policy: Policy, max_context_turns: int | None,
           slice_keys: Sequence[str], shard: Shard | None = None) -> Plan:
    """One pass over the whole dataset; a slice key no transcript has is an error (it would give no rows)."""
    order: dict[str, int] = {}
    selected = 0
    accounts: set[str] = set()
    present: set[str] = set()  # meta keys with a value
    plain: set[str] = set()  # ... a plain one, for the error message
    for transcript in transcripts:
        for key, value in transcript.meta.items():
            if value is not None:
                present.add(key)
                if not isinstance(value, Mapping | list | tuple):
                    plain.add(key)
        accounts.update(str(t.meta["speaker"]) for t in transcript.turns if t.role == "agent" and t.meta.get("speaker"))
        if shard is not None and not shard.holds(transcript.id):
            continue
        selected += 1
        for case in expand((transcript,), policy, max_context_turns, slice_keys):  # a bad slice value fails here
            order[case.id] = len(order)
    missing = [k for k in slice_keys if k not in present]
    if missing:
        known = sorted(plain)
        raise InvalidData(f"slices: no transcript has {', '.join(map(repr, missing))}; slice by keys the data has "
                          f"({', '.join(known) or 'none'}), e.g. slices=[{known[0] if known else ''}]")
    return Plan(order, selected, frozenset(accounts))


def parts(transcripts: Iterable[Transcript], policy: Policy, max_context_turns: int | None,
          slice_keys: Sequence[str], shard: Shard | None = None, size: int = PART_CASES
          ) -> Iterator[tuple[tuple[Transcript, ...], tuple[Case, ...]]]:
    """The run's transcripts (the shard's) and their cases, about `size` cases at a time, in dataset order."""
    chunk: list[Transcript] = []
    cases: list[Case] = []
    for transcript in transcripts:
        if shard is not None and not shard.holds(transcript.id):
            continue
        chunk.append(transcript)
        cases.extend(expand((transcript,), policy, max_context_turns, slice_keys))
        if len(cases) >= size:
            yield tuple(chunk), tuple(cases)
            chunk, cases = [], []
    if chunk:
        yield tuple(chunk), tuple(cases)
