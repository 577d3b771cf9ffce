import json

import pytest

from evalkit.bots.human import HumanBot
from evalkit.bots.recorded import RecordedBot
from evalkit.bots.retrieval import RetrievalBot
from evalkit.contract import Bot
from evalkit.errors import InvalidRecord
from evalkit.loaders.twitter_care import TwitterCareLoader
from evalkit.replay import expand
from evalkit.transcript import Transcript, Turn
from tests.data import TWITTER_DEV


def convo(tid: str, question: str, answer: str) -> Transcript:
    return Transcript(tid, (Turn("customer", question), Turn("agent", answer)))


def fitted(transcripts: list[Transcript]) -> RetrievalBot:
    """A retrieval bot indexing the transcripts: fit returns None, as every bot's does."""
    bot = RetrievalBot()
    bot.fit(transcripts)
    return bot


@pytest.mark.parametrize("bot", [HumanBot(), RecordedBot("unused.jsonl"), RetrievalBot()])
def test_bots_follow_the_protocol(bot):
    assert isinstance(bot, Bot)


@pytest.mark.parametrize(("bot", "declared"), [
    (HumanBot(), (False, True, False)),  # replies with the reference: neither cached nor reference-scored
    (RecordedBot("unused.jsonl"), (False, False, False)),  # keyed by case id, not by context
    (RetrievalBot(), (False, False, True)),  # masks the case's own conversation, and indexes the run's transcripts
])
def test_bots_declare_cacheable_reference_and_fit(bot, declared):
    assert (bot.cacheable, bot.replies_with_reference, bot.needs_fit) == declared


def test_human_bot_replies_with_the_reference():
    cases = list(expand([convo("a", "q", "the answer")]))
    assert HumanBot().reply_batch(cases)[0].text == "the answer"


def test_recorded_bot_turns_a_missing_reply_into_an_error(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"case_id": "a:1", "text": "hello", "handoff": True}) + "\n")
    cases = list(expand([convo("a", "q", "x"), convo("b", "q", "y")]))
    first, missing = RecordedBot(str(path)).reply_batch(cases)
    assert (first.text, first.handoff, first.ok) == ("hello", True, True)
    assert not missing.ok and "no recorded reply" in missing.error


def test_recorded_bot_names_a_bad_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"case_id": "a:1", "text": "ok"}\n{"case_id": "a:2"}\n')
    with pytest.raises(InvalidRecord, match=r"record 1 .*field 'text'"):
        RecordedBot(str(path)).reply_batch(list(expand([convo("a", "q", "x")])))


def test_recorded_bot_refuses_a_handoff_that_is_no_boolean(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"case_id": "a:1", "text": "ok", "handoff": "false"}\n')  # truthy: it would count as a handoff
    with pytest.raises(InvalidRecord, match=r"record 0 \(id 'a:1'\), field 'handoff': must be true, false or null"):
        RecordedBot(str(path)).reply_batch(list(expand([convo("a", "q", "x")])))


def test_retrieval_never_answers_with_the_evaluated_conversation():
    # Conversation "a" is its own nearest neighbour; only leave-one-conversation-out makes the bot answer from "b".
    transcripts = [convo("a", "my card was declined at the store", "reply from a"),
                   convo("b", "card declined again", "reply from b"),
                   convo("c", "how do refunds work", "reply from c")]
    bot = fitted(transcripts)
    replies = bot.reply_batch(list(expand(transcripts)))
    assert [r.text for r in replies] == ["reply from b", "reply from a", "reply from a"]


def one_row_per_entry(transcripts: list[Transcript], cases) -> list[str]:
    """What retrieval answers without merging repeated entries: a plain masked argmax over every entry."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from evalkit.bots.retrieval import context_text

    entries = list(expand(transcripts))
    contexts = [context_text(c.context, 3) for c in entries]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(contexts)
    matrix = vectorizer.transform(contexts)
    similarity = (vectorizer.transform([context_text(c.context, 3) for c in cases]) @ matrix.T).toarray()
    owners = [c.transcript_id for c in entries]
    answers = []
    for case, row in zip(cases, similarity, strict=True):
        row[[i for i, owner in enumerate(owners) if owner == case.transcript_id]] = -1
        answers.append(entries[int(row.argmax())].reference.text)
    return answers


def test_retrieval_answers_as_if_repeated_entries_were_separate_rows():
    # Templated replies repeat: "a" and "b" share an entry, "b" holds it twice; a conversation may still be
    # answered with a shared entry (another conversation has it), never with one only it holds.
    shared = ("where is my refund", "Refunds take 5 days.")
    transcripts = [convo("a", *shared), convo("b", *shared),
                   Transcript("b2", (Turn("customer", shared[0]), Turn("agent", shared[1]),
                                     Turn("customer", "thanks, and my card?"), Turn("agent", "Card sorted."))),
                   convo("c", "my card was declined", "Try the card again."),
                   convo("d", "card declined again", "Call us about the card."),
                   convo("e", "refund for my card", "Card refunds take a week.")]
    cases = list(expand(transcripts))
    assert [r.text for r in fitted(transcripts).reply_batch(cases)] == one_row_per_entry(transcripts, cases)


@pytest.mark.shared_data
def test_retrieval_merging_changes_no_answer_on_real_data():
    transcripts = list(TwitterCareLoader(str(TWITTER_DEV)).load().transcripts)
    cases = list(expand(transcripts))[:400]
    assert [r.text for r in fitted(transcripts).reply_batch(cases)] == one_row_per_entry(transcripts, cases)


@pytest.mark.shared_data
def test_retrieval_has_no_reference_leakage_on_real_data():
    transcripts = TwitterCareLoader(str(TWITTER_DEV)).load().transcripts
    own = {t.id: {turn.text for turn in t.turns if turn.role == "agent"} for t in transcripts}
    owner_of: dict[str, set[str]] = {}
    for t in transcripts:
        for text in own[t.id]:
            owner_of.setdefault(text, set()).add(t.id)
    cases = list(expand(transcripts))
    replies = fitted(transcripts).reply_batch(cases)
    for case, reply in zip(cases, replies, strict=True):
        assert owner_of[reply.text] - {case.transcript_id}, f"{case.id} was answered from its own conversation"


def test_retrieval_fingerprint_follows_the_index():
    a = fitted([convo("a", "q", "x"), convo("b", "q2", "y")])
    b = fitted([convo("a", "q", "x"), convo("b", "q2", "z")])
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == fitted([convo("a", "q", "x"), convo("b", "q2", "y")]).fingerprint()
