"""Comparing bot versions on the cases they share: paired statistics, the CI gate, the comparison run."""
