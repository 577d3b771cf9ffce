"""Scorers: one module per family (overlap, embedding, classifier, handoff, combined) and rubrics."""
