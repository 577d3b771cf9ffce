"""The contrastively fine-tuned pair encoder (classifier=pair_encoder), on the bundled MiniLM."""

from pathlib import Path

import numpy as np
import pytest

from evalkit.classifiers.pair_encoder import PairEncoder
from evalkit.classifiers.registry import load_classifier, log_and_register
from evalkit.scorers.classifier import model_input

# One company's replies differ only by which help page they link, and nothing in the question says which page a
# product's problems go to: a frozen encoder cannot know, a fine-tuned one learns it from the pairs.
PRODUCTS = ["printer", "router", "camera", "speaker", "laptop", "tablet", "monitor", "keyboard"]
PAGES = ["falcon", "harbor", "meadow", "quartz", "ember", "tundra", "willow", "cobalt"]


def question(product: str) -> str:
    return f"customer: my {product} stopped working this morning, what should I do?"


def answer(page: str) -> str:
    return f"Sorry about that! Please follow the steps on our help page {page} and tell us how it goes."


def training_pairs() -> tuple[list[str], list[str], list[str]]:
    texts, contexts, labels = [], [], []
    for i, product in enumerate(PRODUCTS):
        for j, page in enumerate(PAGES):
            if j in (i, (i + 1) % len(PAGES), (i + 3) % len(PAGES)):  # the true reply and two of the company's others
                texts.append(answer(page))
                contexts.append(question(product))
                labels.append("yes" if i == j else "no")
    return texts, contexts, labels


def page_ranks(model: PairEncoder) -> np.ndarray:
    """For each product, the rank (0 = first) of its own page among all eight."""
    contexts = [question(p) for p in PRODUCTS for _ in PAGES]
    texts = [answer(page) for _ in PRODUCTS for page in PAGES]
    proba = model.predict_proba(model_input(texts, contexts))[:, 1].reshape(len(PRODUCTS), len(PAGES))
    return np.array([int((row > row[i]).sum()) for i, row in enumerate(proba)])


@pytest.fixture(scope="module")
def fitted() -> PairEncoder:
    texts, contexts, labels = training_pairs()
    return PairEncoder(epochs=12, batch_size=4, learning_rate=1e-4, device="cpu").fit(
        model_input(texts, contexts), labels)


def test_fine_tuning_learns_which_reply_answers_which_question(fitted: PairEncoder):
    untrained = PairEncoder(epochs=0, device="cpu").fit(model_input(*training_pairs()[:2]), training_pairs()[2])
    assert np.mean(page_ranks(untrained) == 0) < 0.5  # the frozen encoder mostly cannot tell
    assert np.mean(page_ranks(fitted) == 0) >= 0.75
    proba = fitted.predict_proba(model_input([answer("falcon")], [question("printer")]))
    assert list(fitted.classes_) == ["no", "yes"] and proba.shape == (1, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_a_saved_pair_encoder_registers_in_mlflow_and_loads_back_the_same(fitted: PairEncoder, store_uri: str,
                                                                         tmp_path: Path):
    probe = model_input([answer("harbor"), answer("quartz")], [question("router"), question("router")])
    registered = log_and_register(fitted, "appropriateness_encoder", tracking_uri=store_uri)
    loaded = load_classifier(registered.uri, tracking_uri=store_uri)
    assert isinstance(loaded, PairEncoder)
    np.testing.assert_allclose(loaded.predict_proba(probe), fitted.predict_proba(probe), atol=1e-5)
    fitted.save_pretrained(tmp_path / "checkpoint")
    again = PairEncoder.from_pretrained(tmp_path / "checkpoint", device="cpu")
    np.testing.assert_allclose(again.predict_proba(probe), fitted.predict_proba(probe), atol=1e-5)


def test_pair_encoder_needs_the_positive_class_and_a_fit():
    with pytest.raises(ValueError, match="one of them 'yes'"):
        PairEncoder(epochs=0, device="cpu").fit(model_input(["a", "b"], ["c", "d"]), ["good", "bad"])
    with pytest.raises(RuntimeError, match="not fitted"):
        PairEncoder().predict_proba(model_input(["a"], ["b"]))
