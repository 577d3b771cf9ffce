"""A trained scorer applied outside its training domain is flagged: the run's human replies score nearer its training
data's wrong replies than its good ones (the profile its cross-validation logged with the model)."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pytest

from evalkit.classifiers.data import LabelledData
from evalkit.classifiers.evaluation import cross_validate
from evalkit.classifiers.loading import LazyClassifier
from evalkit.classifiers.pipelines import tfidf_logreg
from evalkit.classifiers.registry import log_and_register
from evalkit.contract import Scorer, TrainingProfile
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.reply import Reply, Score
from evalkit.report.headline import headline
from evalkit.report.reliability import console_lines
from evalkit.results import Record
from evalkit.scorers.classifier import ClassifierScorer
from evalkit.summaries.columns import RecordColumns
from evalkit.summaries.domain import check_domains
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot
from evalkit.tracking.history import read_history
from evalkit.tracking.runs import MlflowTracker
from tests.data import write_transcripts

PROFILE = TrainingProfile(positive_mean=0.8, negative_mean=0.2, source="models:/m/1, 2-fold cross-validation")


class _Trained(Scorer):
    name = "fit"
    needs_reference = False

    def __init__(self, profile: TrainingProfile | None = PROFILE, needs_reference: bool = False):
        self.profile = profile
        self.needs_reference = needs_reference

    def score(self, cases, replies):
        return [Score(0.5) for _ in replies]

    def training_profile(self):
        return self.profile


def _columns(human: list[float]) -> RecordColumns:
    return RecordColumns.of([
        Record(bot=bot, case_id=f"c{i}", transcript_id=f"t{i}", turn_index=1, slices={}, context=(), reference="r",
               reply=Reply("x"), scores={"fit": value}, reply_is_reference=bot == "human")
        for i, value in enumerate(human) for bot in ("human", "bot")])


def test_human_replies_nearer_the_training_negatives_are_outside_the_domain():
    (low,) = check_domains(_columns([0.3, 0.4, None]), [_Trained()])
    assert low.n == 2 and low.human_mean == pytest.approx(0.35)
    assert low.position == pytest.approx(0.25) and low.outside
    assert low.describe().startswith("outside its training domain: the human agents' replies score 0.35 on average "
                                     "(n=2), its training data's good replies 0.80 and wrong ones 0.20")
    (high,) = check_domains(_columns([0.6, 0.7]), [_Trained()])
    assert high.position == pytest.approx(0.75) and not high.outside
    assert high.describe().startswith("within its training domain")


def test_only_reference_free_scorers_with_a_usable_profile_are_checked():
    backwards = TrainingProfile(positive_mean=0.2, negative_mean=0.3, source="s")
    scorers = [_Trained(None), _Trained(needs_reference=True), _Trained(backwards)]
    assert check_domains(_columns([0.1, 0.1]), scorers) == []
    no_human = RecordColumns.of([Record(bot="bot", case_id="c", transcript_id="t", turn_index=1, slices={},
                                        context=(), reference="r", reply=Reply("x"), scores={"fit": 0.1})])
    assert check_domains(no_human, [_Trained()]) == []


def _shifted_training_data() -> LabelledData:
    """A domain where parcels are the subject and card-and-refund wording marks a reply that does not fit: the
    run's conversations (tests.data.write_transcripts) are about cards, refunds and accounts."""
    good = ["your parcel is with the courier", "the courier delivers the parcel tomorrow", "parcel tracking is live",
            "the courier has your parcel", "we rerouted the parcel", "the parcel left the depot"]
    wrong = ["I will refund the charge on your card", "I can do that for you with your account",
             "let me check your card", "you are welcome to close the account", "the charge is refunded",
             "how can I help with your card?"]
    texts = [*good, *wrong] * 2
    labels = ["yes"] * len(good) + ["no"] * len(wrong)
    return LabelledData(texts=tuple(texts), contexts=("",) * len(texts), labels=tuple(labels * 2),
                        groups=tuple(f"g{i}" for i in range(len(texts))))


def test_a_registered_classifier_outside_its_domain_is_flagged_everywhere_the_run_is_read(
        store_uri: str, tmp_path: Path):
    data = _shifted_training_data()
    report = cross_validate(lambda: tfidf_logreg(use_context=False), data, folds=2, positive="yes")
    assert report.metrics["positive_mean"] > report.metrics["negative_mean"]
    model = tfidf_logreg(use_context=False).fit(data.frame(), np.asarray(data.labels))
    registered = log_and_register(model, "fit", tracking_uri=store_uri,
                                  params={"recipe.folds": 2, "recipe.positive": "yes"},
                                  metrics={f"cv/{k}": v for k, v in report.metrics.items()})
    scorer = ClassifierScorer(LazyClassifier(registered.uri, tracking_uri=store_uri), name="fit", input="reply")
    evaluation = Evaluation(dataset=TableLoader(str(write_transcripts(tmp_path / "t.jsonl"))), bots=[EchoBot()],
                            scorers=[scorer], stats=StatsSettings(n_resamples=20),
                            tracker=MlflowTracker(tracking_uri=store_uri), primary="fit")
    outcome = evaluate(evaluation, tmp_path / "run")

    (check,) = json.loads((tmp_path / "run" / "summary.json").read_text())["domain"]
    human = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    human = [r["scores"]["fit"] for r in human if r.get("reply_is_reference")]
    assert check["human_mean"] == pytest.approx(np.mean(human)) and check["n"] == len(human)
    assert check["profile"]["positive_mean"] == pytest.approx(report.metrics["positive_mean"])
    assert check["outside"] and check["position"] < 0.5
    assert check["profile"]["source"] == f"{registered.uri} (run {registered.run_id}), 2-fold cross-validation of " \
                                         "its training data"
    text = outcome.report_path.read_text()
    assert "> **WARNING: scorer 'fit' is outside its training domain" in text.split("## Human parity")[0]
    assert "⚠ fit is outside its training domain" in text
    assert "- **fit**: not measured against human ratings; outside its training domain" in text
    assert [line for line in console_lines(outcome.summary) if line.startswith("WARNING")] == [
        f"WARNING: scorer 'fit' is {outcome.summary.domain[0].describe()}: its scores and parity on this data say "
        "more about the scorer than about the bots"]
    tags = mlflow.MlflowClient(store_uri).get_run(outcome.run_id).data.tags
    assert tags["evalkit.domain.fit"].startswith("outside its training domain: the human agents' replies score")
    (version,) = read_history(store_uri, into=tmp_path / "fetched").versions  # what the dashboard reads
    assert version.domain == {"fit": outcome.summary.domain[0].describe()}
    assert "(⚠ fit is outside its training domain" in headline([version])[0]


def test_a_model_without_a_recorded_profile_is_not_checked(store_uri: str, tmp_path: Path):
    data = _shifted_training_data()
    model = tfidf_logreg(use_context=False).fit(data.frame(), np.asarray(data.labels))
    registered = log_and_register(model, "fit", tracking_uri=store_uri)  # trained before profiles were logged
    assert LazyClassifier(registered.uri, tracking_uri=store_uri).training_profile() is None
    assert LazyClassifier(str(tmp_path / "m.joblib")).training_profile() is None  # a file knows no training run
    other_class = log_and_register(model, "fit", tracking_uri=store_uri, params={"recipe.positive": "no"},
                                   metrics={"cv/positive_mean": 0.7, "cv/negative_mean": 0.2})
    scorer = ClassifierScorer(LazyClassifier(other_class.uri, tracking_uri=store_uri), name="fit", positive="yes")
    assert scorer.training_profile() is None  # its profile is P("no"), the scorer reads P("yes")


def test_the_profile_is_the_loaded_versions_when_latest_moves_on(store_uri: str):
    data = _shifted_training_data()
    model = tfidf_logreg(use_context=False).fit(data.frame(), np.asarray(data.labels))
    first = log_and_register(model, "fit", tracking_uri=store_uri, params={"recipe.positive": "yes"},
                             metrics={"cv/positive_mean": 0.7, "cv/negative_mean": 0.2})
    latest = LazyClassifier("models:/fit/latest", tracking_uri=store_uri)
    assert latest.training_profile().positive_mean == 0.7  # not loaded yet: what `latest` names now
    latest.predict_proba(data.frame()[:2])  # scoring loads version 1
    log_and_register(model, "fit", tracking_uri=store_uri, params={"recipe.positive": "yes"},
                     metrics={"cv/positive_mean": 0.9, "cv/negative_mean": 0.1})
    profile = latest.training_profile()
    assert profile.positive_mean == 0.7 and f"(run {first.run_id})" in profile.source
