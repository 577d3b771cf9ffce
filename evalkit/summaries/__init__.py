"""Summaries derived from a run's records (scores, parity, handoffs, pairwise) into one RunSummary; no rendering."""
