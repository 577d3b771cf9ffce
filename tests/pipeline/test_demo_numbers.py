"""The demo's numbers, pinned: the values `evalkit run` gave on the demo set before the architecture change (commit
57823a5, 2026-12-01). A refactor that changes any summary number fails here."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from evalkit.cli.config import CONFIG_DIR, build
from evalkit.pipeline.evaluate import evaluate

MEANS = {
    "human/rubric": 1.0, "human/handoff": 0.1134020619,
    "bot_v1/chrf": 22.2703229881, "bot_v1/bleu": 6.8222130009, "bot_v1/rouge_l": 0.1736407271,
    "bot_v1/token_f1": 0.2180215071, "bot_v1/rubric": 0.8581560284, "bot_v1/handoff": 0.0496453901,
    "bot_v2/chrf": 60.7174600563, "bot_v2/bleu": 50.5603959002, "bot_v2/rouge_l": 0.6324005645,
    "bot_v2/token_f1": 0.6389941503, "bot_v2/rubric": 0.9927835052, "bot_v2/handoff": 0.0962199313,
    "retrieval/chrf": 61.386807254, "retrieval/bleu": 48.1087685273, "retrieval/rouge_l": 0.5980846292,
    "retrieval/token_f1": 0.6320875126, "retrieval/rubric": 1.0,
}
INTERVALS = {"bot_v1/chrf": (20.7609466992, 23.8924280063), "bot_v2/chrf": (56.6954396791, 64.5370949748),
             "bot_v1/rubric": (0.8407801418, 0.8766046099), "bot_v2/rubric": (0.9879725086, 0.9969072165)}
LATE_FEE_CHRF = {"bot_v1": 22.9921861378, "bot_v2": 13.0338416902, "retrieval": 67.6397370676}
HANDOFFS = {"human": (33, 6, 0, 252, 0), "bot_v1": (9, 28, 5, 240, 0), "bot_v2": (28, 11, 0, 252, 0),
            "retrieval": (0, 0, 0, 0, 291)}


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory):
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=[
            "tracker=none", "cache=off", "dataset=demo", "bots=[human,bot_v1,bot_v2,retrieval]",
            "scorers=[chrf,bleu,rouge_l,token_f1,relevance,rubric,handoff]", "rubric=support_quality_v1"])
    return evaluate(build(cfg), Path(tmp_path_factory.mktemp("demo"))).summary


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0, abs_tol=5e-10)


def test_overall_means_and_intervals(summary):
    for key, value in MEANS.items():
        bot, scorer = key.split("/")
        assert close(summary.overall(bot, scorer).mean, value), key
    for key, (low, high) in INTERVALS.items():
        row = summary.overall(*key.split("/"))
        assert close(row.ci_low, low) and close(row.ci_high, high), key


def test_parity_slices_and_handoffs(summary):
    # The rule rubric is a check the human replies pass as written (1.000), not a parity yardstick; relevance,
    # which a human reply can fail, shows the late_fee regression that only chrF showed before.
    assert {p.scorer for p in summary.parity} == {"relevance"}
    late = {p.bot: p for p in summary.parity if p.slice_value == "late_fee"}
    assert late["bot_v2"].ci_high < 0 and late["bot_v2"].ratio < 0.6
    assert late["bot_v2"].ratio == min(p.ratio for p in summary.parity)  # the worst parity of the whole run
    late = {s.bot: s.mean for s in summary.scores if s.scorer == "chrf" and s.slice_value == "late_fee"}
    assert all(close(late[bot], mean) for bot, mean in LATE_FEE_CHRF.items())
    counts = {h.bot: (h.tp, h.fn, h.fp, h.tn, h.unknown) for h in summary.handoffs if h.slice_key == "all"}
    assert counts == HANDOFFS
