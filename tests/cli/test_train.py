"""`evalkit train` end to end: a registered version that scorers then load by models:/ URI."""

from pathlib import Path

import pytest

from evalkit.bots.recorded import RecordedBot
from evalkit.classifiers.loading import LazyClassifier, RegisteredCombination
from evalkit.cli import main
from evalkit.loaders.table import TableLoader
from evalkit.loaders.twitter_care import TwitterCareLoader
from evalkit.replay import expand
from evalkit.scorers.classifier import ClassifierScorer, IntentAgreement
from evalkit.scorers.handoff import HandoffScorer
from tests.data import DEMO


def _train(recipe: str, store_uri: str, tmp_path: Path, *extra: str) -> None:
    main(["train", f"recipe={recipe}", f"tracker.tracking_uri={store_uri}", f"hydra.run.dir={tmp_path / recipe}",
          "recipe.folds=2", "hydra/job_logging=none", "hydra/hydra_logging=none", *extra])


def test_train_registers_versions_that_scorers_load_by_uri(store_uri: str, tmp_path: Path):
    import mlflow

    _train("intent", store_uri, tmp_path)
    version = mlflow.MlflowClient(store_uri, registry_uri=store_uri).get_model_version("intent", "1")
    run = mlflow.MlflowClient(store_uri).get_run(version.run_id)
    assert run.data.metrics["cv/accuracy"] > 0.8 and "cv/macro_f1" in run.data.metrics
    assert LazyClassifier("models:/intent/1", tracking_uri=store_uri).training_profile() is None  # not binary
    _train("handoff_reply", store_uri, tmp_path)
    client = mlflow.MlflowClient(store_uri, registry_uri=store_uri)
    logged = client.get_run(client.get_model_version("handoff_reply", "1").run_id).data.metrics
    profile = LazyClassifier("models:/handoff_reply/1", tracking_uri=store_uri).training_profile()
    assert profile.positive_mean == logged["cv/positive_mean"] > profile.negative_mean == logged["cv/negative_mean"]
    assert profile.positive == "yes" and profile.source.endswith("2-fold cross-validation of its training data")
    cases = list(expand(TableLoader(str(DEMO / "transcripts.jsonl")).load().transcripts))[:40]
    v2 = RecordedBot(str(DEMO / "replies_bot_v2.jsonl")).reply_batch(cases)
    agreement = IntentAgreement(LazyClassifier("models:/intent/1", tracking_uri=store_uri)).score(cases, v2)
    assert sum(s.value for s in agreement) / len(agreement) > 0.5  # v2 paraphrases the human replies
    unflagged = [r.__class__(text=r.text) for r in v2]
    detector = HandoffScorer(classifier=LazyClassifier("models:/handoff_reply/1", tracking_uri=store_uri))
    detected = detector.score(cases, unflagged)
    flags = [bool(r.handoff) for r in v2]
    assert sum((s.value == 1.0) == f for s, f in zip(detected, flags, strict=True)) / len(flags) > 0.85


def test_train_rejects_bad_data_with_exit_code_2(store_uri: str, tmp_path: Path):
    with pytest.raises(SystemExit) as exit_:
        _train("intent", store_uri, tmp_path, "recipe.data.task=no_such_task")
    assert exit_.value.code == 2


def test_appropriateness_scorer_loads_a_path_and_scores_pairs(tmp_path: Path):
    import joblib
    import numpy as np

    from evalkit.classifiers.pipelines import tfidf_logreg
    from evalkit.classifiers.recipes import pairs_from

    transcripts = list(TableLoader(str(DEMO / "transcripts.jsonl")).load().transcripts)
    data = pairs_from(transcripts[:50], negatives=1, hard_negatives=1)
    joblib.dump(tfidf_logreg(use_context=True).fit(data.frame(), np.asarray(data.labels)), tmp_path / "m.joblib")
    cases = list(expand(transcripts[50:60]))
    scorer = ClassifierScorer(LazyClassifier(str(tmp_path / "m.joblib")), name="appropriateness")
    scores = scorer.score(cases, [type("R", (), {"text": c.reference.text})() for c in cases])
    assert len(scores) == len(cases) and all(0 <= s.value <= 1 for s in scores)


def test_train_combined_fits_registers_and_the_scorer_loads_it_by_uri_or_path(store_uri: str, tmp_path: Path):
    import json

    import mlflow

    from evalkit.scorers.combined import CombinationFile, CombinedScorer
    from evalkit.scorers.overlap import ChrF, TokenF1

    _train("combined", store_uri, tmp_path, "scorers=[chrf,token_f1]", "stats.n_resamples=100")
    model = json.loads((tmp_path / "combined" / "combination.json").read_text())
    assert model["features"] == ["chrf", "token_f1"] and model["target"] == "overall"
    version = mlflow.MlflowClient(store_uri, registry_uri=store_uri).get_model_version("combined", "1")
    metrics = mlflow.MlflowClient(store_uri).get_run(version.run_id).data.metrics
    assert metrics["cv/overall/spearman"] == pytest.approx(model["validity"]["spearman"])  # out-of-fold
    assert model["validity"]["spearman"] > 0.5

    cases = list(expand(TableLoader(str(DEMO / "transcripts.jsonl")).load().transcripts))[:10]
    replies = RecordedBot(str(DEMO / "replies_bot_v1.jsonl")).reply_batch(cases)
    components = {"chrf": ChrF(), "token_f1": TokenF1()}
    registered = RegisteredCombination("models:/combined/1", tracking_uri=store_uri)
    by_uri = CombinedScorer(registered, components).score(cases, replies)
    model_file = CombinationFile(tmp_path / "combined" / "combination.json")
    by_path = CombinedScorer(model_file, components).score(cases, replies)
    assert [s.value for s in by_uri] == [s.value for s in by_path]
    assert by_uri[0].rationale.startswith("predicted overall from chrf=")


def test_train_combined_rejects_a_missing_rated_set_with_exit_code_2(store_uri: str, tmp_path: Path):
    with pytest.raises(SystemExit) as exit_:
        _train("combined", store_uri, tmp_path, f"recipe.rated.path={tmp_path / 'nope.jsonl'}")
    assert exit_.value.code == 2


@pytest.mark.shared_data  # Twitter care
@pytest.mark.slow  # fine-tunes MiniLM (one epoch, 16 conversations)
def test_train_appropriateness_fine_tunes_the_pair_encoder_and_registers_it(store_uri: str, tmp_path: Path):
    import json

    from evalkit.classifiers.pair_encoder import PairEncoder
    from evalkit.classifiers.registry import load_classifier
    from tests.data import TWITTER_DEV

    head = tmp_path / "twitter_head.json"
    head.write_text(json.dumps(json.loads(TWITTER_DEV.read_text())[:16]))
    _train("appropriateness", store_uri, tmp_path, f"recipe.data.dataset.path={head}", "classifier.epochs=1",
           "classifier.device=cpu")
    model = load_classifier("models:/appropriateness/1", tracking_uri=store_uri)
    assert isinstance(model, PairEncoder) and list(model.classes_) == ["no", "yes"]
    cases = list(expand(TwitterCareLoader(str(head)).load().transcripts))[:6]
    scores = ClassifierScorer(model, name="appropriateness", input="pair", context_turns=None).score(
        cases, [type("R", (), {"text": c.reference.text})() for c in cases])
    assert all(0 <= s.value <= 1 for s in scores)
