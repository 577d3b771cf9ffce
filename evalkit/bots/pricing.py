"""What a reply cost, from token counts and the per-1,000-token prices in the bot's config."""

from __future__ import annotations


def token_cost(tokens_in: int | None, tokens_out: int | None, price_per_1k_in: float | None,
               price_per_1k_out: float | None) -> float | None:
    """None when no price is configured: unknown, which summaries keep apart from free (0.0)."""
    if price_per_1k_in is None and price_per_1k_out is None:
        return None
    return ((tokens_in or 0) * (price_per_1k_in or 0.0) + (tokens_out or 0) * (price_per_1k_out or 0.0)) / 1000
