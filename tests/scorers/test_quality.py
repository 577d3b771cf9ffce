"""The quality scorer: the injected model's numbers per reply, in order, on its declared scale; its config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from evalkit.cli.config import CONFIG_DIR, build_all
from evalkit.contract import Scorer
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.scorers.quality import QualityModel, QualityScorer
from evalkit.transcript import Turn

ROOT = Path(__file__).resolve().parents[2]


class WordShare(QualityModel):
    """A stand-in model: the share of the reply's words that the conversation used (and what it saw)."""

    def __init__(self, values: list[float] | None = None):
        self.seen: list[pd.DataFrame] = []
        self.values = values

    def predict_quality(self, X: pd.DataFrame) -> np.ndarray:
        self.seen.append(X)
        if self.values is not None:
            return np.asarray(self.values)
        return np.asarray([len(set(t.split()) & set(c.split())) / max(len(t.split()), 1)
                           for t, c in zip(X["text"], X["context"], strict=True)])

    def predict_with_reasons(self, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        return self.predict_quality(X), [f"words {len(t.split())}" for t in X["text"]]


class ValuesOnly(QualityModel):
    """A model with predict_quality only: scored without reasons."""

    def predict_quality(self, X: pd.DataFrame) -> list[float]:
        return [0.25] * len(X)


def case(i: int, customer: str) -> Case:
    return Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1, context=(Turn("customer", customer),),
                reference=Turn("agent", "ref"))


def test_scores_follow_the_model_in_case_order_with_rationales():
    model = WordShare()
    scorer = QualityScorer(model)
    cases = [case(0, "my card is blocked"), case(1, "refund please")]
    replies = [Reply("your card is blocked"), Reply("hello there")]
    scores = scorer.score(cases, replies)
    assert [s.value for s in scores] == [0.75, 0.0]
    assert scores[0].rationale == "quality 0.75; weakest: words 4"
    assert list(model.seen[0]["context"]) == ["customer: my card is blocked", "customer: refund please"]
    assert [s.value for s in scorer.score(cases[::-1], replies[::-1])] == [0.0, 0.75]
    assert scorer.score([], []) == []
    plain = QualityScorer(ValuesOnly()).score(cases, replies)
    assert [(s.value, s.rationale) for s in plain] == [(0.25, "quality 0.25")] * 2


def test_declares_a_reference_free_bounded_scorer_and_clips_to_its_scale():
    scorer = QualityScorer(WordShare(values=[1.7, -0.2]))
    assert isinstance(scorer, Scorer) and not scorer.needs_reference and scorer.scale == (0.0, 1.0)
    values = [s.value for s in scorer.score([case(0, "a"), case(1, "b")], [Reply("a"), Reply("b")])]
    assert values == [1.0, 0.0]


def test_a_model_that_returns_the_wrong_number_of_values_is_an_error():
    with pytest.raises(RuntimeError, match="1 values for 2 replies"):
        QualityScorer(WordShare(values=[0.5])).score([case(0, "a"), case(1, "b")], [Reply("a"), Reply("b")])


def test_the_config_builds_the_scorer_on_the_shipped_head_without_loading_it():
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=["scorers=[quality]"])
    (scorer,) = build_all(cfg.scorers, "scorers", Scorer)
    assert isinstance(scorer, QualityScorer) and scorer.name == "quality"
    assert Path(scorer.model.ref) == ROOT / "models" / "quality" / "quality.json"
    assert scorer.model._head is None  # nothing is loaded until the first score() call
    assert (ROOT / "models" / "quality" / "quality.json").is_file()
