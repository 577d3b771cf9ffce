import pytest
import sacrebleu
from rouge_score.rouge_scorer import RougeScorer

from evalkit.contract import Scorer
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.scorers.overlap import Bleu, ChrF, RougeL, TokenF1, token_f1
from evalkit.textnorm import normalize_reply
from evalkit.transcript import Turn

REF = "@jane Sorry about that! Please reset your password here: https://x.co/abc ^SR"
HYP = "Sorry for the trouble, please reset your password"


def case(reference: str) -> Case:
    return Case("t:1", "t", 1, (Turn("customer", "help"),), Turn("agent", reference))


def test_normalisation_drops_handles_links_and_signoffs():
    assert normalize_reply(REF) == "Sorry about that! Please reset your password here:"


@pytest.mark.parametrize("scorer", [ChrF(), Bleu(), RougeL(), TokenF1()])
def test_scorers_follow_the_protocol(scorer):
    assert isinstance(scorer, Scorer) and scorer.needs_reference and scorer.higher_is_better
    scores = scorer.score([case(REF), case("x")], [Reply(HYP), Reply(REF)])
    assert len(scores) == 2 and all(s.value is not None for s in scores)


def test_values_match_the_reference_implementations():
    ref, hyp = normalize_reply(REF), HYP
    assert ChrF().score([case(REF)], [Reply(HYP)])[0].value == pytest.approx(
        sacrebleu.sentence_chrf(hyp, [ref]).score)
    assert Bleu().score([case(REF)], [Reply(HYP)])[0].value == pytest.approx(
        sacrebleu.sentence_bleu(hyp, [ref]).score)
    assert RougeL().score([case(REF)], [Reply(HYP)])[0].value == pytest.approx(
        RougeScorer(["rougeL"], use_stemmer=True).score(ref, hyp)["rougeL"].fmeasure)


def test_token_f1():
    assert token_f1("the card is blocked", "the card is blocked") == 1.0
    assert token_f1("a b c d", "a b") == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert token_f1("a b", "c d") == 0.0
    assert token_f1("", "") == 1.0


@pytest.mark.shared_data
@pytest.mark.parametrize("word_order", [0, 2])
def test_chrf_equals_sacrebleu_on_every_real_reply(word_order):
    from evalkit.bots.retrieval import RetrievalBot
    from evalkit.loaders.twitter_care import TwitterCareLoader
    from evalkit.replay import expand
    from tests.data import TWITTER_DEV

    transcripts = TwitterCareLoader(str(TWITTER_DEV)).load().transcripts
    cases = list(expand(transcripts))
    bot = RetrievalBot()
    bot.fit(transcripts)
    replies = [*bot.reply_batch(cases), Reply(""), Reply("é日本語  x")]
    cases += [case("not empty"), case("é日本語 x")]
    metric = sacrebleu.metrics.CHRF(word_order=word_order)
    expected = [metric.sentence_score(normalize_reply(r.text), [normalize_reply(c.reference.text)]).score
                for c, r in zip(cases, replies, strict=True)]
    assert [s.value for s in ChrF(word_order=word_order).score(cases, replies)] == expected
