"""The quality recipe: synthetic negatives from support transcripts, soft labels from ratings, LM likelihood
features, and the JSON head the quality scorer ships with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evalkit.classifiers import likelihood
from evalkit.classifiers.likelihood import LikelihoodExtractor, parse_context
from evalkit.classifiers.pipelines import quality_logreg
from evalkit.classifiers.quality import (
    NO,
    YES,
    concat,
    contradicted,
    dialogue_groups,
    quality_examples,
    rated_pairs,
    support_pairs,
    truncated,
)
from evalkit.classifiers.quality_head import QualityHead
from evalkit.errors import InvalidData
from evalkit.loaders.table import TableLoader
from evalkit.scorers.classifier import context_text, model_input
from evalkit.transcript import Transcript, Turn
from evalkit.validity.rated.formats import load_rated
from tests.data import FED, TWITTER_DEV

COMPANIES = {"acme": ["refund the double charge on your card", "your card replacement ships today",
                      "the refund for your card is on its way"],
             "globex": ["reset your router and try the wifi again", "your modem firmware is being updated now",
                        "the outage in your area is fixed now"]}


def transcripts() -> list[Transcript]:
    out = []
    for company, replies in COMPANIES.items():
        for i, reply in enumerate(replies):
            out.append(Transcript(id=f"{company}-{i}", turns=(Turn("customer", f"help with {company} issue {i}"),
                                                              Turn("agent", reply)), meta={"company": company}))
    return out


def test_flips_and_cuts_make_fluent_wrong_replies():
    assert contradicted("We can refund it today") == "We can't refund it today"
    assert contradicted("It won't arrive before Monday") == "It will arrive before Monday"
    assert contradicted("Hello there") is None
    cut = truncated("one two three four five six seven eight nine ten", np.random.default_rng(0))
    assert cut is not None and 2 <= len(cut.split()) < 10 and "ten".startswith(cut.split()[-1]) is False
    assert truncated("too short", np.random.default_rng(0)) is None


def test_support_pairs_label_the_true_reply_yes_and_draw_hard_negatives_from_the_same_company():
    data = support_pairs(transcripts(), per_case=6, seed=3, source="toy")
    by_context: dict[str, list[tuple[str, str]]] = {}
    for text, context, label in zip(data.texts, data.contexts, data.labels, strict=True):
        by_context.setdefault(context, []).append((label, text))
    assert len(by_context) == 6
    owner = {r: c for c, replies in COMPANIES.items() for r in replies}
    for context, rows in by_context.items():
        company, i = context.split("help with ")[1].split(" issue ")
        true = COMPANIES[company][int(i)]
        assert [t for label, t in rows if label == YES] == [true]
        negatives = [t for label, t in rows if label == NO]
        assert true not in negatives and len(negatives) == len(set(negatives)) >= 4  # generic, echo, 2 drawn
        others = [t for t in negatives if t in owner]
        assert {owner[t] for t in others} == {"acme", "globex"}  # same company (hard) and another (off-intent)
    assert set(data.groups) == {f"toy:{t.id}" for t in transcripts()}
    with pytest.raises(InvalidData, match="unknown negative kinds"):
        support_pairs(transcripts(), kinds=("nonsense",))


def test_rated_pairs_turn_mean_ratings_into_soft_labels_grouped_by_dialogue(tmp_path: Path):
    opening = "I have been learning to play the guitar for a month now"
    records = [{"context": f"User: {opening}\nSystem: Nice!\nUser: I like it", "response": "System: Cool, why?",
                "system": "Human", "annotations": {"Overall": [4, 4, 2, 2, 3]}},
               {"context": f"User: {opening}\nSystem: Nice!\nUser: I like it\nSystem: Cool, why?\nUser: fun",
                "response": "System: I am a bot", "system": "Mitsuku", "annotations": {"Overall": [0, 1, 0, 1, 0]}},
               {"context": "User: Hi!\nSystem: Hi there.\nUser: What do you do on weekends, usually?",
                "response": "System: I read", "system": "Meena", "annotations": {"Overall": ["4", 4, 4, 4, 4]}}]
    path = tmp_path / "fed_like.json"
    path.write_text(json.dumps(records))
    data = rated_pairs(str(path), replicas=4)
    assert data.labels == (YES, YES, YES, NO, NO, NO, NO, NO, YES, YES, YES, YES)
    assert len(set(data.groups[:8])) == 1 and data.groups[0] != data.groups[8]
    assert dialogue_groups(load_rated(str(path)).items)[:2] == ["dialogue-0", "dialogue-0"]
    with pytest.raises(InvalidData, match="aspect 'Fluent' is not rated"):
        rated_pairs(str(path), aspect="Fluent")


def _qa_rated(path: Path) -> Path:
    """What `evalkit audit pull` writes as rated.jsonl: the verdict per reviewer, 1 (bad) to 3 (good)."""
    items = [{"id": f"c{i}", "context": [{"role": "customer", "text": f"my card {i} was charged twice"}],
              "reference": "I will refund the second charge",
              "candidates": [{"id": "bot_v1", "text": text, "ratings": {"verdict": verdicts}}]}
             for i, (text, verdicts) in enumerate([("I refunded the second charge", {"ana": 3, "ben": 3}),
                                                   ("Please check our help center", {"ana": 1, "ben": 1}),
                                                   ("Let me look into the charge", {"ana": 2})])]
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


def test_qa_verdicts_join_the_rated_supervision_on_their_own_scale(tmp_path: Path):
    qa = {"path": str(_qa_rated(tmp_path / "rated.jsonl")), "aspect": "verdict", "low": 1, "top": 3}
    data = quality_examples(rated=None, replicas=2, more_rated={"qa": qa})
    assert data.labels == (YES, YES, NO, NO, YES, NO)  # good: all yes; bad: all no; acceptable: half
    assert set(data.kinds) == {"rated"} and data.source == qa["path"]
    with pytest.raises(InvalidData, match=r"recipe\.data\.more_rated\.qa: unknown key\(s\) scale; a rated set has "
                                          r"path, aspect, low, top"):
        quality_examples(more_rated={"qa": {**qa, "scale": 3}})
    with pytest.raises(InvalidData, match=r"recipe\.data\.more_rated\.qa: low and top must be numbers"):
        quality_examples(more_rated={"qa": {**qa, "top": "three"}})
    with pytest.raises(InvalidData, match=r"the rating scale's top \(1\.0\) must be above its low end \(1\.0\)"):
        quality_examples(more_rated={"qa": {**qa, "top": 1}})


def test_parse_context_reads_back_what_context_text_writes():
    turns = (Turn("customer", "hi\nmy card"), Turn("agent", "hello"), Turn("system", "card: blocked"))
    assert parse_context(context_text(turns)) == [("customer", "hi\nmy card"), ("agent", "hello"),
                                                  ("system", "card: blocked")]


@pytest.fixture(scope="module")
def tiny_llama_path(tiny_gpt2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Llama (SmolLM2's architecture: rotary positions, grouped KV heads), random weights, the tiny
    GPT-2's tokenizer; no hub involved."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    directory = tmp_path_factory.mktemp("tiny_llama")
    tokenizer = AutoTokenizer.from_pretrained(tiny_gpt2_path)
    torch.manual_seed(0)
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
                     ).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def test_packed_follow_ups_score_as_separate_sequences_would(tiny_llama_path: Path):
    """One forward pass with a 4-D mask gives each follow-up's log-prob as if it followed the reply alone."""
    import torch

    extractor = LikelihoodExtractor(str(tiny_llama_path), max_context_tokens=400, max_reply_tokens=16,
                                    batch_size=2, followups=("That helps.", "What do you mean?"))
    contexts = ["customer: my card was charged twice", "customer: hi\nagent: hello\ncustomer: refund please"]
    replies = ["I can refund that for you today", "sure"]
    features = extractor.transform(contexts, replies)
    assert features.shape == (2, len(extractor.names)) and np.isfinite(features).all()
    names = extractor.names
    np.testing.assert_allclose(features[:, names.index("pmi")],
                               features[:, names.index("lp_cond")] - features[:, names.index("lp_uncond")])
    model, tokenizer = likelihood.load_lm(str(tiny_llama_path))
    encode = lambda s: tokenizer(s, add_special_tokens=False).input_ids  # noqa: E731
    header = len(encode("\n<|im_start|>user\n"))
    for row, (context, reply) in enumerate(zip(contexts, replies, strict=True)):
        prompt = encode(likelihood._chat(parse_context(context)))
        answer = encode(reply) + encode("<|im_end|>")
        for k, follow in enumerate(extractor.followups):
            ids = torch.tensor([prompt + answer + encode(f"\n<|im_start|>user\n{follow}<|im_end|>")])
            with torch.no_grad():
                logp = torch.log_softmax(model(input_ids=ids).logits[0, :-1], -1).gather(-1, ids[0, 1:, None])
            expected = logp[len(prompt) + len(answer) + header - 1:, 0].mean().item()
            assert features[row, names.index(f"followup_{k}")] == pytest.approx(expected, abs=1e-4)


def test_features_are_memoised_per_pair(tiny_llama_path: Path, monkeypatch: pytest.MonkeyPatch):
    extractor = LikelihoodExtractor(str(tiny_llama_path), max_context_tokens=64, max_reply_tokens=16,
                                    followups=("Thanks.",))
    first = extractor.transform(["customer: where is my transfer"], ["it left yesterday"])
    monkeypatch.setattr(LikelihoodExtractor, "_compute", lambda *a: pytest.fail("recomputed a memoised pair"))
    np.testing.assert_array_equal(extractor.transform(["customer: where is my transfer"], ["it left yesterday"]),
                                  first)


def fake_lm(self: LikelihoodExtractor, contexts, replies) -> np.ndarray:
    """Deterministic stand-in LM features: a reply that shares words with the conversation 'fits'."""
    rows = []
    for c, r in zip(contexts, replies, strict=True):
        share = len(set(c.lower().split()) & set(r.lower().split())) / max(len(r.split()), 1)
        rows.append([share, -len(r) / 50, share + len(r) / 50] + [share - 0.5] * (len(self.names) - 3))
    return np.asarray(rows)


def test_the_json_head_predicts_what_the_model_does_and_is_reproducible(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(LikelihoodExtractor, "transform", fake_lm)
    rated = tmp_path / "rated.json"
    rated.write_text(json.dumps([{"context": f"User: please refund the charge on card {i}",
                                  "response": "System: " + ("the refund for your card is on its way" if i % 2 else
                                                            "nice weather"), "annotations": {"Overall": [i % 5] * 5}}
                                 for i in range(10)]))
    data = concat([support_pairs(transcripts(), per_case=3, seed=0), rated_pairs(str(rated))])

    def fit_and_save(path: Path) -> QualityHead:
        model = quality_logreg(C=1.0, rated_weight=0.75).fit(data.frame(), np.asarray(data.labels))
        assert [(kind, weight) for kind, weight, _, _ in model.heads_] == [("rated", 0.75), ("synthetic", 0.25)]
        head = QualityHead.from_model(model, {"trained_on": "toy"})
        head.save(path)
        proba = model.predict_proba(data.frame())[:, list(model.classes_).index(YES)]
        np.testing.assert_allclose(QualityHead.load(path).predict_quality(data.frame()), proba, atol=1e-6)
        return head

    head = fit_and_save(tmp_path / "a.json")
    fit_and_save(tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert all(len(h.coef) == len(head.names) for h in head.heads) and (tmp_path / "a.json").stat().st_size < 50_000
    frame = model_input(["refund the double charge on your card", "ok"],
                        ["customer: please refund the double charge on my card"] * 2)
    (good, bad), reasons = QualityHead.load(tmp_path / "a.json").predict_with_reasons(frame)
    assert good > bad and all(r.count(",") == 1 for r in reasons)
    (tmp_path / "bad.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(InvalidData, match=r"not an evalkit\.quality/1 file"):
        QualityHead.load(tmp_path / "bad.json")
    (tmp_path / "bad.json").write_text(json.dumps({"format": "evalkit.quality/1", "features": {}}))
    with pytest.raises(InvalidData, match="malformed"):
        QualityHead.load(tmp_path / "bad.json")


def test_the_shipped_head_carries_its_training_profile():
    from evalkit.classifiers.loading import QualityModelRef

    # So a run's human replies are held to where its training data's good and wrong replies scored
    # (evalkit.summaries.domain).
    profile = QualityModelRef(str(Path(__file__).resolve().parents[2] / "models" / "quality" / "quality.json")
                              ).training_profile()
    assert profile is not None and profile.positive == YES and profile.positive_mean > profile.negative_mean


@pytest.mark.slow
@pytest.mark.shared_data  # FED and Twitter care
def test_the_shipped_head_tracks_fed_ratings_and_prefers_true_replies():
    from scipy.stats import spearmanr

    from evalkit.classifiers.loading import QualityModelRef
    from evalkit.loaders.twitter_care import TwitterCareLoader

    model = QualityModelRef(str(Path(__file__).resolve().parents[2] / "models" / "quality" / "quality.json"))
    rated = load_rated(str(FED))
    rows = rated.rows[::15]  # 25 rated replies, every 15th: the LM passes are most of the cost
    frame = model_input([c.text for _, c in rows], [context_text(i.context) for i, _ in rows])
    rho = spearmanr(model.predict_quality(frame), [c.mean_rating("Overall") for _, c in rows]).statistic
    assert rho > 0.3, f"Spearman with FED Overall {rho:.2f}"
    data = support_pairs(list(TwitterCareLoader(str(TWITTER_DEV)).load().transcripts)[:8], per_case=2, seed=1)
    quality = model.predict_quality(data.frame())
    labels = np.asarray(data.labels)
    assert quality[labels == YES].mean() > quality[labels == NO].mean() + 0.05


def test_evalkit_train_registers_a_quality_model_whose_head_the_scorer_loads(tiny_llama_path: Path, store_uri: str,
                                                                             tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture[str]):
    """`evalkit train recipe=quality` end to end on tiny data and a tiny LM, then the head exported from the
    registered version and the scorer on both."""
    from evalkit.classifiers.loading import QualityModelRef
    from evalkit.classifiers.quality_head import main as export
    from evalkit.cli import main
    from evalkit.replay import expand
    from evalkit.reply import Reply
    from evalkit.scorers.quality import QualityScorer
    from tests.data import write_transcripts

    opening = "I have been learning to play the guitar for a month now"
    rated = tmp_path / "rated.json"
    rated.write_text(json.dumps([{"context": f"User: {opening}\nSystem: Nice!\nUser: I like it {i}",
                                  "response": f"System: Cool, why {i}?", "annotations": {"Overall": [i % 5] * 5}}
                                 for i in range(8)]))
    transcripts = write_transcripts(tmp_path / "t.jsonl")
    qa = _qa_rated(tmp_path / "rated.jsonl")  # and what QA recorded
    main(["train", "recipe=quality", f"tracker.tracking_uri={store_uri}", f"hydra.run.dir={tmp_path / 'run'}",
          "recipe.folds=2", "hydra/job_logging=none", "hydra/hydra_logging=none", f"recipe.data.rated={rated}",
          "~recipe.data.datasets.twitter_care", "~recipe.data.datasets.abcd",
          f"recipe.data.datasets.demo.path={transcripts}", f"classifier.lm={tiny_llama_path}",
          "classifier.max_context_tokens=128", "classifier.max_reply_tokens=16",
          f"+recipe.data.more_rated.qa={{path: '{qa}', aspect: verdict, low: 1, top: 3}}"])
    examples = capsys.readouterr().out.splitlines()[0]  # "quality: N examples from <sources>, labels ..."
    assert str(qa) in examples
    out = tmp_path / "quality.json"
    export(["models:/quality/1", str(out), "--tracking-uri", store_uri])
    head = QualityHead.load(out)
    assert head.features["lm"] == str(tiny_llama_path) and len(head.names) > 20
    assert [h.kind for h in head.heads] == ["rated", "synthetic"]
    cases = list(expand(TableLoader(str(transcripts)).load().transcripts))
    replies = [Reply(c.reference.text) for c in cases]
    from_file = [s.value for s in QualityScorer(QualityModelRef(str(out))).score(cases, replies)]
    registered = QualityModelRef("models:/quality/1", tracking_uri=store_uri)
    from_registry = [s.value for s in QualityScorer(registered).score(cases, replies)]
    np.testing.assert_allclose(from_file, from_registry, atol=1e-6)
    assert all(0.0 <= v <= 1.0 for v in from_file)
    # The training run's profile (for the domain check) travels into the exported file.
    assert QualityScorer(QualityModelRef(str(out))).training_profile() == registered.training_profile()
    assert head.profile.positive == "yes" and head.profile.source.startswith("models:/quality/1 (run ")
