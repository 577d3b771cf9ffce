"""Slices: the whole set, then each value of each slice key (intent=late_fee, ...)."""

from __future__ import annotations

OVERALL = "all"  # the slice key and value of the whole set
