"""The dashboard says how far to trust each charted score, as the latest evaluation measured it."""

from __future__ import annotations

import html

from evalkit.report.dashboard import trust_html
from evalkit.summaries.versions import VersionResult


def version(bot: str, started: int, validity: dict[str, str]) -> VersionResult:
    return VersionResult(bot=bot, version="", dataset="demo", started_ms=started,
                         metrics={"chrf/mean": 20.0, "parity/relevance/diff": -0.1}, validity=validity)


def test_each_charted_scorer_has_its_latest_measurement_or_says_it_has_none():
    shown = trust_html([version("bot_v1", 1, {"relevance": "Spearman 0.10 [0.00, 0.20] with Overall on FED"}),
                        version("bot_v2", 2, {"relevance": "Spearman 0.16 [0.06, 0.26] with Overall on FED <n>"})])
    assert "<b>relevance</b>: Spearman 0.16 [0.06, 0.26] with Overall on FED &lt;n&gt;" in shown
    assert "0.10" not in shown
    assert "<b>chrf</b>: not measured against human ratings" in shown
    assert trust_html([]) == ""


def test_a_trained_scorer_outside_its_domain_is_flagged_by_the_latest_evaluation_only():
    outside = "outside its training domain: the human agents' replies score 0.20 on average"
    older = VersionResult(bot="bot_v1", version="", dataset="demo", started_ms=1,
                          metrics={"chrf/mean": 20.0, "parity/appropriateness/diff": 0.3},
                          domain={"appropriateness": outside})
    shown = trust_html([older])
    assert f"<b>appropriateness</b>: not measured against human ratings; ⚠ {html.escape(outside)}" in shown
    newer = VersionResult(bot="bot_v2", version="", dataset="demo", started_ms=2,
                          metrics={"chrf/mean": 20.0, "parity/appropriateness/diff": 0.1})
    assert "outside" not in trust_html([older, newer])  # the check belongs to the run that made it
