from evalkit.local_models.embeddings import encode, resolve_model
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.scorers.embedding import EmbeddingSimilarity
from evalkit.transcript import Turn


def _case(i: int, reference: str) -> Case:
    return Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1, context=(Turn("customer", "hi"),),
                reference=Turn("agent", reference))


def test_paraphrase_scores_higher_than_unrelated_reply():
    cases = [_case(0, "Your refund was sent and should arrive in 3-5 business days."),
             _case(1, "Your refund was sent and should arrive in 3-5 business days.")]
    replies = [Reply("We've issued the refund; expect it within five working days."),
               Reply("Please restart the game console and try the online mode again.")]
    scores = EmbeddingSimilarity(device="cpu").score(cases, replies)
    assert len(scores) == 2
    assert scores[0].value > 0.6 > scores[1].value


def test_handles_and_links_do_not_count_as_content():
    cases = [_case(0, "@alice Please try the steps here: https://example.com/a ^SR")]
    assert EmbeddingSimilarity(device="cpu").score(cases, [Reply("Please try the steps here:")])[0].value > 0.99


def test_empty_batch_and_bundled_model_names():
    assert EmbeddingSimilarity().score([], []) == []
    assert resolve_model("all-MiniLM-L6-v2") == resolve_model("sentence-transformers/all-MiniLM-L6-v2")
    assert resolve_model("/some/path") == "/some/path"
    vectors = encode(["a b", "c d", "a b"], device="cpu")
    assert vectors.shape[0] == 3 and (vectors[0] == vectors[2]).all()
