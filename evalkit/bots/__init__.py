"""Bots: one module per backend, the reply cache, the OpenAI wire format and `evalkit serve`."""
