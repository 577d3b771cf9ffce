from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.scorers.relevance import RelevanceScorer, customer_message
from evalkit.transcript import Turn


def _case(*turns: tuple[str, str]) -> Case:
    return Case(id="t:9", transcript_id="t", turn_index=len(turns), context=tuple(Turn(r, t) for r, t in turns),
                reference=Turn("agent", "whatever the human agent said"))


LATE_FEE = _case(("customer", "hi"), ("agent", "Hello, how can I help?"),
                 ("customer", "Why was I charged a late fee this month?"), ("system", "Payment received May 3."),
                 ("customer", "I paid on time!"))


def test_the_customer_message_is_everything_the_customer_said_since_the_agent_spoke():
    assert customer_message(LATE_FEE.context) == "Why was I charged a late fee this month?\nI paid on time!"
    assert customer_message(_case(("customer", "a"), ("agent", "b")).context) == ""


def test_an_off_topic_reply_scores_below_an_on_topic_one_whoever_wrote_it():
    on_topic = Reply("I'm sorry about the late fee. Your payment arrived on the 3rd, so I've waived the fee.")
    off_topic = Reply("To add your card to Apple Pay, open Wallet and tap the plus sign.")
    scores = RelevanceScorer(device="cpu").score([LATE_FEE, LATE_FEE], [on_topic, off_topic])
    assert scores[0].value > scores[1].value + 0.2
    assert RelevanceScorer.needs_reference is False and RelevanceScorer.parity is True  # human replies scored too


def test_a_case_with_no_customer_message_gets_no_score_saying_why():
    (score,) = RelevanceScorer(device="cpu").score([_case(("agent", "Welcome!"))], [Reply("Hi there")])
    assert score.value is None and "no customer message" in score.rationale
