"""Rubrics: weighted criteria, each a check (a rule, a classifier, an LLM judge) with a pass threshold."""
