"""Every bot in configs/bots/ and every scorer in configs/scorers/, built as `evalkit run` builds them, keeps the
extension contract (evalkit.contract): one result per case in order, an empty batch, failures as data, a stable
fingerprint, a name of its own. What each needs to run offline (a served endpoint, a tiny model, a trained
classifier, a judge) is filled in below; nothing else about the config is changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import joblib
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from evalkit.bots.serving import create_app, running
from evalkit.cli.config import CONFIG_DIR, build_all
from evalkit.contract import Bot, Scorer
from evalkit.loaders.table import TableLoader
from evalkit.replay import Case, expand
from evalkit.reply import Reply
from evalkit.scorers.combined import Combination
from evalkit.testing import EchoBot
from evalkit.transcript import Turn
from tests.data import DEMO

BOT_FILES = sorted(p.stem for p in (CONFIG_DIR / "bots").glob("*.yaml"))
SCORER_FILES = sorted(p.stem for p in (CONFIG_DIR / "scorers").glob("*.yaml"))
JUDGE_ANSWERS = {"pairwise": '{"winner": "A", "rationale": "more specific"}'}
RATING = '{"score": 4, "rationale": "answers the question"}'


def echo_reply(context: list[dict[str, str]]) -> str:
    """The callable bot's target: fails (raises) on a last turn containing "fail", as a library bug would."""
    last = context[-1]["text"] if context else ""
    if "fail" in last:
        raise RuntimeError("the team's bot raised")
    return last[::-1]


@pytest.fixture(scope="module")
def demo_cases() -> list[Case]:
    transcripts = list(TableLoader(str(DEMO / "transcripts.jsonl")).load().transcripts)
    return list(expand(transcripts[:4], slice_keys=("intent",)))[:6]


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory, tiny_gpt2_path: Path, demo_cases: list[Case]
            ) -> Iterator[dict[str, list[str]]]:
    """Per config file, the overrides that point what it needs at local stand-ins of real backends."""
    tmp = tmp_path_factory.mktemp("conformance")
    recorded = tmp / "replies.jsonl"
    recorded.write_text("".join(json.dumps({"case_id": c.id, "text": f"reply {i}"}) + "\n"
                                for i, c in enumerate(demo_cases)))
    from evalkit.classifiers.pipelines import tfidf_logreg
    from evalkit.scorers.classifier import model_input

    texts = ["refund my card", "thanks", "close my account", "hi", "my transfer is late", "bye"] * 3
    yes_no = tfidf_logreg().fit(model_input(texts), ["yes", "no"] * 9)
    intents = tfidf_logreg().fit(model_input(texts), ["refund", "greeting", "close", "greeting", "transfer",
                                                      "greeting"] * 3)
    joblib.dump(yes_no, tmp / "yes_no.joblib")
    joblib.dump(intents, tmp / "intents.joblib")
    Combination(features=("chrf", "token_f1"), means=(50.0, 0.5), scales=(20.0, 0.2), weights=(0.5, 0.5),
                intercept=3.0, target="overall").save(tmp / "combination.json")
    with running(create_app(EchoBot(name="served"))) as base_url:
        yield {
            "recorded": [f"bots.recorded.path={recorded}"],
            "transformers": [f"bots.transformers.model={tiny_gpt2_path}", "bots.transformers.max_new_tokens=4"],
            # The real packaged model: a few tokens per reply, after a short prompt.
            "smollm2": ["bots.smollm2.max_new_tokens=4", "bots.smollm2.max_input_tokens=96"],
            "http": [f"bots.http.base_url={base_url}", "bots.http.model=served", "bots.http.max_retries=0"],
            "callable": ["bots.callable.target=tests.test_conformance:echo_reply"],
            "quality": ["scorers.quality.context_turns=1"],  # the real LM passes, over a shorter context
            "appropriateness": [f"scorers.appropriateness.classifier.ref={tmp / 'yes_no.joblib'}"],
            "intent_agreement": [f"scorers.intent_agreement.classifier.ref={tmp / 'intents.joblib'}"],
            "combined": [f"scorers.combined.model.ref={tmp / 'combination.json'}"],
        }


def build(group: str, option: str, offline: dict[str, list[str]], judge: str | None = RATING) -> Any:
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=[f"{group}=[{option}]", *offline.get(option, [])])
    # The judge group's model is a local stand-in: an answer in the judge's own format, or None for a dead endpoint.
    cfg.judge = OmegaConf.create({"_target_": "evalkit.testing.ScriptedJudge",
                                  "reply": JUDGE_ANSWERS.get(option, judge) if judge else None})
    (built,) = build_all(cfg[group], group, Bot if group == "bots" else Scorer)
    return built


def texts(replies: Sequence[Reply]) -> list[tuple[str | None, bool]]:
    return [(r.text, r.ok) for r in replies]


@pytest.mark.parametrize("option", BOT_FILES)
def test_bot_keeps_the_contract(option: str, offline: dict[str, list[str]], demo_cases: list[Case]):
    bot, twin = build("bots", option, offline), build("bots", option, offline)
    assert isinstance(bot, Bot) and bot.name == option
    if bot.needs_fit:
        transcripts = list(TableLoader(str(DEMO / "transcripts.jsonl")).load().transcripts)
        bot.fit(transcripts)
        twin.fit(transcripts)
    fingerprint = bot.fingerprint()
    assert re.fullmatch(r"[\w.-]+", fingerprint) and fingerprint == twin.fingerprint()
    replies = bot.reply_batch(demo_cases)
    assert len(replies) == len(demo_cases) and all(isinstance(r, Reply) for r in replies)
    assert texts(bot.reply_batch(demo_cases[::-1])) == texts(replies)[::-1], "replies must come back in case order"
    assert bot.reply_batch([]) == []
    assert bot.fingerprint() == fingerprint, "replying must not change what identifies the bot"


# Bots with a way to fail on one case (the served bot errs, the function raises, no reply was recorded): that
# case becomes an error record and the others are answered. The rest cannot fail on one case.
FAILING = ("callable", "http", "recorded")


@pytest.mark.parametrize("option", FAILING)
def test_bot_failures_are_data(option: str, offline: dict[str, list[str]], demo_cases: list[Case]):
    bot = build("bots", option, offline)
    failing = Case(id="demo-9999:1", transcript_id="demo-9999", turn_index=1,
                   context=(Turn("customer", "please fail here"),),
                   reference=demo_cases[0].reference)
    replies = bot.reply_batch([demo_cases[0], failing, demo_cases[1]])
    assert [r.ok for r in replies] == [True, False, True]
    assert replies[1].error and replies[1].text is None


@pytest.mark.parametrize("option", SCORER_FILES)
def test_scorer_keeps_the_contract(option: str, offline: dict[str, list[str]], demo_cases: list[Case]):
    scorer = build("scorers", option, offline)
    assert isinstance(scorer, Scorer) and scorer.name == option
    assert scorer.summary in ("mean", "pairwise", "handoff") and scorer.higher_is_better in (True, False, None)
    replies = [Reply(text=f"{case.reference.text} thanks", handoff=i % 2 == 0) for i, case in enumerate(demo_cases)]
    scores = scorer.score(demo_cases, replies)
    assert len(scores) == len(demo_cases)
    assert [s.value for s in scorer.score(demo_cases[::-1], replies[::-1])] == [s.value for s in scores][::-1]
    assert scorer.score([], []) == []
    assert all(s.value is None or isinstance(s.value, float) for s in scores)
    if scorer.scale is not None:
        low, high = scorer.scale
        assert all(low <= s.value <= high for s in scores if s.value is not None), "values outside the scale"


@pytest.mark.parametrize("option", [o for o in SCORER_FILES if "judge" in (CONFIG_DIR / "scorers" / f"{o}.yaml")
                                    .read_text() or o == "rubric"])
def test_a_dead_judge_is_data_not_an_exception(option: str, offline: dict[str, list[str]], demo_cases: list[Case]):
    overrides = {**offline, option: [*offline.get(option, []), "rubric=support_quality_llm_v1"]}
    scorer = build("scorers", option, overrides, judge=None)
    scores = scorer.score(demo_cases, [Reply(text="let me check that for you") for _ in demo_cases])
    assert len(scores) == len(demo_cases)
    assert all("judge error" in (s.rationale or "") for s in scores)
    usage = scorer.judge_usage()
    assert usage is not None and usage.errors >= len(demo_cases)


def test_names_are_unique_across_configs(offline: dict[str, list[str]]):
    for group, files in (("bots", BOT_FILES), ("scorers", SCORER_FILES)):
        names = [build(group, option, offline).name for option in files]
        assert len(set(names)) == len(names), f"{group}: two configs share a name"
