"""Grouping records by slice: the whole set, then each value of each slice key (intent=late_fee, ...)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from evalkit.results import Record

OVERALL = "all"  # the slice key and value of the whole set


def group_by_slice(
    records: Iterable[Record], slice_keys: Sequence[str], keep: Callable[[Record], bool] = lambda _: True,
) -> dict[tuple[str, str, str], list[Record]]:
    """Records by (bot, slice key, slice value): the whole set under (bot, OVERALL, OVERALL), then each slice."""
    groups: dict[tuple[str, str, str], list[Record]] = defaultdict(list)
    for record in records:
        if not keep(record):
            continue
        groups[(record.bot, OVERALL, OVERALL)].append(record)
        for key in slice_keys:
            if key in record.slices:
                groups[(record.bot, key, record.slices[key])].append(record)
    return groups
