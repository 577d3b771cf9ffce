import json
from pathlib import Path

import numpy as np
import pytest

from evalkit.classifiers.data import LabelledData, read_labelled
from evalkit.classifiers.evaluation import cross_validate
from evalkit.classifiers.pipelines import finetune, pair_logreg, tfidf_logreg
from evalkit.classifiers.recipes import NO, YES, handoff_reply_examples, pairs_from
from evalkit.classifiers.registry import load_classifier, log_and_register
from evalkit.errors import InvalidData
from evalkit.loaders.table import TableLoader
from evalkit.loaders.twitter_care import TwitterCareLoader
from tests.data import DEMO, TWITTER_DEV

LABELS = DEMO / "classifier_labels.jsonl"


def test_read_labelled_filters_a_task_and_names_bad_rows(tmp_path: Path):
    data = read_labelled(LABELS, task="handoff_request")
    assert set(data.labels) == {"yes", "no"} and len(data) == 533
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "hi", "label": "a"}) + "\n" + json.dumps({"text": "", "label": "b"}) + "\n")
    with pytest.raises(InvalidData, match=r"bad.jsonl: record 1, field 'text': missing or empty text"):
        read_labelled(bad)
    csv = tmp_path / "x.csv"
    csv.write_text("text,label\nhello,a\nbye,\n")
    with pytest.raises(InvalidData, match="field 'label': missing label"):
        read_labelled(csv)
    with pytest.raises(InvalidData, match="missing column 'gold'"):
        read_labelled(LABELS, label_field="gold")
    with pytest.raises(InvalidData, match="no rows with task='nope'"):
        read_labelled(LABELS, task="nope")


def test_cross_validation_reports_discrimination_and_calibration():
    data = read_labelled(LABELS, task="handoff_request", group_field=None)
    report = cross_validate(lambda: tfidf_logreg(use_context=False), data, folds=3, positive="yes")
    assert report.folds == 3
    assert report.metrics["roc_auc"] > 0.85 and report.metrics["macro_f1"] > 0.7
    assert 0 <= report.metrics["brier"] < 0.25 and 0 <= report.metrics["ece"] < 0.3
    assert len(report.calibration["predicted"]) == len(report.calibration["observed"])



PRIOR = {"good": 0.9, "wrong": 0.1, "split": 0.5}


class WordPrior:
    """A fixed P(yes) per reply by its first word: what a fold predicts is known in advance."""

    classes_ = np.array(["no", "yes"])

    def fit(self, frame, labels):
        return self

    def predict_proba(self, frame):
        p = np.array([PRIOR[text.split()[0]] for text in frame["text"]])
        return np.column_stack([1 - p, p])


def test_the_training_profile_leaves_out_replies_labelled_both_ways():
    # A rating fed as replicas ("split" 2 x yes, 2 x no) is neither a good nor a wrong reply.
    texts = [f"good {i}" for i in range(6)] + [f"wrong {i}" for i in range(6)] + [f"split {i // 4}" for i in range(8)]
    labels = ["yes"] * 6 + ["no"] * 6 + ["yes", "yes", "no", "no"] * 2
    data = LabelledData(tuple(texts), ("",) * 20, tuple(labels), tuple(f"g{i}" for i in range(20)))
    metrics = cross_validate(WordPrior, data, folds=2, positive="yes").metrics
    assert metrics["positive_mean"] == pytest.approx(0.9) and metrics["negative_mean"] == pytest.approx(0.1)
    only_split = LabelledData(tuple(texts[12:]), ("",) * 8, tuple(labels[12:]), tuple(f"g{i}" for i in range(8)))
    assert "positive_mean" not in cross_validate(WordPrior, only_split, folds=2, positive="yes").metrics

@pytest.mark.shared_data  # Twitter care
def test_recipes_build_pairs_with_same_company_negatives_and_handoff_labels():
    transcripts = list(TwitterCareLoader(str(TWITTER_DEV)).load().transcripts)[:60]
    data = pairs_from(transcripts, negatives=2, hard_negatives=2, seed=1)
    positives = [i for i, label in enumerate(data.labels) if label == YES]
    assert data.labels.count(NO) > 3 * len(positives) * 0.9
    assert len(positives) == sum(1 for t in transcripts for turn in t.turns if turn.role == "agent")
    replies = handoff_reply_examples(TableLoader(str(DEMO / "transcripts.jsonl")))
    assert replies.labels.count(YES) == 33


@pytest.mark.shared_data  # Twitter care
def test_sklearn_pipeline_registers_and_loads_by_uri_and_path(store_uri: str, tmp_path: Path):
    transcripts = list(TwitterCareLoader(str(TWITTER_DEV)).load().transcripts)[:15]
    data = pairs_from(transcripts, negatives=1, hard_negatives=1)
    model = pair_logreg(device="cpu").fit(data.frame(), np.asarray(data.labels))
    registered = log_and_register(model, "appropriateness_test", tracking_uri=store_uri, metrics={"cv/x": 1.0})
    assert registered.uri == "models:/appropriateness_test/1"
    again = log_and_register(model, "appropriateness_test", tracking_uri=store_uri)
    assert again.version == "2"
    loaded = load_classifier("models:/appropriateness_test/latest", tracking_uri=store_uri)
    np.testing.assert_allclose(loaded.predict_proba(data.frame()[:5]), model.predict_proba(data.frame()[:5]))
    with pytest.raises(InvalidData, match="not found in the MLflow registry"):
        load_classifier("models:/nothing_here/1", tracking_uri=store_uri)
    with pytest.raises(InvalidData, match="not a models:/"):
        load_classifier(str(tmp_path / "missing"))


def _tiny_bert(directory: Path) -> str:
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    words = sorted({w for line in LABELS.read_text().splitlines() for w in json.loads(line)["text"].lower().split()})
    (directory / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words[:2000]]))
    BertTokenizerFast(vocab_file=str(directory / "vocab.txt")).save_pretrained(directory)
    config = BertConfig(vocab_size=2005, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertForSequenceClassification(config).save_pretrained(directory)
    return str(directory)


def test_finetuned_transformer_round_trips_through_the_registry(store_uri: str, tmp_path: Path):
    data = read_labelled(LABELS, task="handoff_request")
    model = finetune(_tiny_bert(tmp_path), epochs=1, batch_size=32, max_length=32, device="cpu")
    model.fit(data.frame()[:96], np.asarray(data.labels[:96]))
    proba = model.predict_proba(data.frame()[:4])
    assert proba.shape == (4, 2) and np.allclose(proba.sum(axis=1), 1)
    registered = log_and_register(model, "handoff_tiny", tracking_uri=store_uri)
    loaded = load_classifier(registered.uri, tracking_uri=store_uri)
    assert list(loaded.classes_) == ["no", "yes"]
    np.testing.assert_allclose(loaded.predict_proba(data.frame()[:4]), proba, atol=1e-5)


def test_a_model_registered_in_the_embedded_store_keeps_its_files_beside_it(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch):
    import mlflow

    from evalkit.tracking.store import embedded_uri, using

    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # where the command runs: no ./mlruns may appear here
    from evalkit.scorers.classifier import model_input

    model = tfidf_logreg().fit(model_input(["refund my card", "thanks", "close my account", "bye"] * 3), [YES, NO] * 6)
    log_and_register(model, "appropriateness_test", store_dir=str(tmp_path / "store"))
    assert not (tmp_path / "elsewhere" / "mlruns").exists()
    with using(embedded_uri(str(tmp_path / "store"))):
        (run,) = mlflow.search_runs(experiment_names=["evalkit-train"], output_format="list")
    assert run.info.artifact_uri.startswith((tmp_path / "store" / "mlartifacts").as_uri())
