"""The parity section leads with one sentence per bot naming where it falls short of the human agents, and never
shows a parity above 100 % without saying what it may mean."""

from __future__ import annotations

from evalkit.report.quality import ABOVE_HUMAN_NOTE, parity_section
from evalkit.summaries.parity import ParitySummary
from evalkit.summaries.slices import OVERALL


def _row(bot: str, key: str, value: str, bot_mean: float, human: float, low: float, high: float,
         scorer: str = "relevance", n: int = 20) -> ParitySummary:
    return ParitySummary(bot=bot, scorer=scorer, slice_key=key, slice_value=value, bot_mean=bot_mean,
                         human_mean=human, diff=bot_mean - human, ci_low=low, ci_high=high, ratio=bot_mean / human,
                         n=n)


ROWS = [
    _row("bot_v2", OVERALL, OVERALL, 0.333, 0.394, -0.077, -0.045, n=40),
    _row("bot_v2", "intent", "late_fee", 0.174, 0.324, -0.204, -0.095),
    _row("bot_v2", "intent", "refund", 0.40, 0.41, -0.05, 0.03),
    _row("bot_v2", "company", "lumen_bank", 0.333, 0.394, -0.077, -0.045, n=40),
    _row("bot_v1", OVERALL, OVERALL, 0.40, 0.394, -0.01, 0.02, n=40),
]


def test_the_headline_names_the_slices_significantly_below_the_humans():
    text = "\n".join(parity_section(ROWS))
    bot_v2 = next(line for line in text.splitlines() if line.startswith("- **bot_v2**"))
    assert "relevance at 85%" in bot_v2 and "significantly below on intent=late_fee 54%" in bot_v2
    assert "refund" not in bot_v2  # its interval holds 0
    assert "lumen_bank" not in bot_v2  # the one company is every case: the overall figure again
    bot_v1 = next(line for line in text.splitlines() if line.startswith("- **bot_v1**"))
    assert "no slice significantly below" in bot_v1


def test_parity_above_100_percent_is_flagged_and_explained():
    text = "\n".join(parity_section(ROWS))
    assert "| bot_v1 | 0.400 | 0.394 |" in text and "102% ⚠ |" in text
    assert ABOVE_HUMAN_NOTE in text
    below = "\n".join(parity_section(ROWS[:3]))
    assert "⚠" not in below and ABOVE_HUMAN_NOTE not in below
