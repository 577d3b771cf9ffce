"""How a run executes: evaluate, reply and score, re-score, shards, validate, compare, publish."""
