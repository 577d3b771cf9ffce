#!/usr/bin/env python3
"""Build the synthetic "Lumen Bank" customer-support demo dataset.

Writes, under ``datasets/demo/``:

* ``transcripts.jsonl``       -- human-handled support conversations (the references)
* ``replies_bot_v1.jsonl``    -- recorded replies of a weak, templated bot
* ``replies_bot_v2.jsonl``    -- recorded replies of a better bot, with a planted regression on ``late_fee``
* ``classifier_labels.jsonl`` -- labelled snippets for the ``handoff_request`` and ``intent`` classifiers
* ``README.md``               -- schema, provenance and counts

Everything is driven by ``random.Random`` instances seeded from ``--seed``, and files are written with fixed
key order and ``\\n`` line endings, so running the script twice produces byte-identical files. Lumen Bank,
its customers and agents are fictional; any resemblance to real people or accounts is coincidental.

Usage::

    python scripts/build_demo_dataset.py [--seed 20240611] [--out datasets/demo]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from random import Random

DEFAULT_SEED = 20240611
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "datasets" / "demo"
COMPANY = "lumen_bank"
LANGUAGE = "en"

INTENTS = (
    "payment_schedule",
    "refund",
    "dispute",
    "declined_card",
    "late_fee",
    "close_account",
    "human_request",
)

# Channel mix roughly matches a support desk where live chat dominates.
CHANNELS = (("chat", 0.55), ("app", 0.30), ("email", 0.15))

# Share of v1 recorded replies that are simply missing; the harness must report these as errors.
V1_MISSING_RATE = 0.03

# "Today" for the fictional data set. Fixed so that dates never depend on when the script runs.
TODAY = date(2024, 5, 20)


# ---------------------------------------------------------------------------------------------------------
# People, merchants and other slot values
# ---------------------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Priya",
    "Marcus",
    "Elena",
    "Tom",
    "Aisha",
    "Daniel",
    "Sofia",
    "Kevin",
    "Grace",
    "Luis",
    "Hannah",
    "Omar",
    "Chloe",
    "Jamal",
    "Mei",
    "Ryan",
    "Fatima",
    "Ben",
    "Olivia",
    "Carlos",
    "Nadia",
    "Ethan",
    "Zoe",
    "Tariq",
    "Lauren",
    "Diego",
    "Amara",
    "Sam",
    "Irene",
    "Jorge",
    "Kayla",
    "Victor",
    "Ruth",
    "Andre",
    "Yuki",
    "Megan",
    "Hector",
    "Leah",
    "Noah",
    "Tasha",
)
SURNAMES = (
    "Patel",
    "Nguyen",
    "Garcia",
    "Smith",
    "Okafor",
    "Kim",
    "Rossi",
    "Johnson",
    "Silva",
    "Brown",
    "Haddad",
    "Chen",
    "Walker",
    "Lopez",
    "Novak",
    "Reyes",
    "Evans",
    "Ali",
    "Murphy",
    "Tanaka",
)
AGENT_NAMES = ("Jess", "Alex", "Maria", "Chris", "Dana", "Ravi", "Kelly", "Jordan", "Nina", "Paul")
MERCHANTS = (
    "Amazon",
    "BestBuy",
    "Walmart",
    "Target",
    "StreamFlix",
    "Delta",
    "Uber",
    "Home Depot",
    "Etsy",
    "Shell",
    "Costco",
    "Apple.com",
    "QuickMart",
    "Zappos",
    "Airbnb",
    "GymPlus",
    "Wayfair",
    "Chewy",
)


class SafeDict(dict):
    """Leave unknown ``{placeholders}`` untouched instead of raising.

    The weak bot's templates deliberately contain placeholders that never get filled (``{customer_name}``),
    which is exactly the kind of leak the evaluation harness is meant to catch.
    """

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, slots: dict) -> str:
    return template.format_map(SafeDict(slots))


def money(value: float) -> str:
    return f"${value:,.2f}"


def day_label(d: date) -> str:
    return f"{d:%B} {d.day}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def make_slots(rng: Random) -> dict:
    """Draw every value a conversation might mention, so templates can pick what they need."""
    name = rng.choice(FIRST_NAMES)
    surname = rng.choice(SURNAMES)
    due_day, new_due_day = rng.sample([1, 3, 5, 7, 10, 12, 15, 18, 20, 22, 25, 28], 2)
    amount = rng.uniform(12, 480)
    past = TODAY - timedelta(days=rng.randint(2, 12))
    deceased_first = rng.choice(("Robert", "Linda", "James", "Patricia", "Michael", "Carol", "George"))
    return {
        "name": name,
        "agent": rng.choice(AGENT_NAMES),
        "last4": f"{rng.randint(0, 9999):04d}",
        "new4": f"{rng.randint(0, 9999):04d}",
        "bank4": f"{rng.randint(0, 9999):04d}",
        "cust_id": str(rng.randint(10000, 99999)),
        "amount": money(amount),
        "amount2": money(rng.uniform(8, 250)),
        "merchant": rng.choice(MERCHANTS),
        "date_past": day_label(past),
        "date_past2": day_label(TODAY - timedelta(days=rng.randint(60, 300))),
        "date_future": day_label(TODAY + timedelta(days=rng.randint(4, 25))),
        "due_day": ordinal(due_day),
        "new_due_day": ordinal(new_due_day),
        "fee": rng.choice(("$29", "$32", "$35", "$40")),
        "annual_fee": rng.choice(("$95.00", "$125.00", "$59.00")),
        "min_payment": money(rng.uniform(25, 140)),
        "balance": money(rng.uniform(300, 4200)),
        "payoff": money(rng.uniform(900, 9000)),
        "avail": money(rng.uniform(5, 60)),
        "pending": money(rng.uniform(150, 600)),
        "points": f"{rng.randint(800, 42000):,}",
        "case_no": f"DSP-{rng.randint(100000, 999999)}",
        "ref": f"{rng.choice('ABCKMT')}{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
        "loan_no": str(rng.randint(1000000, 9999999)),
        "email": f"{name.lower()}.{surname.lower()}@example.com",
        "dob": f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1955, 2003)}",
        "exp": rng.choice(("March", "April")),
        "deceased": f"{deceased_first} {surname}",
        "wait": str(rng.randint(2, 9)),
    }


# ---------------------------------------------------------------------------------------------------------
# Scenario library
# ---------------------------------------------------------------------------------------------------------


class AsksHuman(str):
    """A customer line that explicitly asks for a human; becomes ``{"asks_for_human": true}`` turn meta."""


H = AsksHuman


@dataclass(frozen=True)
class Scenario:
    """Phrase pools for one kind of conversation.

    A conversation is assembled from the pools in one of three shapes (see ``build_turns``):

    * short:  open -> [system] -> direct -> closing
    * medium: open -> ask -> detail -> [system] -> resolve -> closing
    * long:   medium, then a follow-up question from ``more`` and its answer (non-handoff scenarios only)

    For handoff scenarios ``direct``/``resolve`` are the agent turns that transfer to a specialist.
    """

    intent: str
    handoff: bool
    open: tuple[str, ...]
    ask: tuple[str, ...] = ()
    detail: tuple[str, ...] = ()
    resolve: tuple[str, ...] = ()
    direct: tuple[str, ...] = ()
    direct_open: tuple[str, ...] = ()  # openers for the short shape; defaults to ``open``
    system: tuple[str, ...] = ()
    more: tuple[tuple[str, str], ...] = ()  # (customer follow-up, agent answer)


CLOSINGS = (
    "ok thanks!",
    "Great, thank you so much",
    "perfect, that's all I needed",
    "thanks {agent}",
    "Awesome, appreciate it",
    "ok cool",
    "Thank you for your help!",
    "that's it, thanks",
    "ty",
    "Got it, thanks.",
    "Thanks, that helps a lot",
    "ok great",
)
HANDOFF_CLOSINGS = (
    "ok thanks",
    "fine. ill wait",
    "Thank you!",
    "thx",
    "Great, I'll hold.",
    "ok",
    "Thank you, I'll wait",
    "finally. ok",
)

PAYMENT_SCHEDULE = {
    "next_due": Scenario(
        intent="payment_schedule",
        handoff=False,
        open=(
            "Hi, when is my next payment due? I can't find it anywhere in the app.",
            "hey what date is my card payment due this month",
            "Hello, could you tell me my next due date and how much I need to pay?",
            "When do I need to pay my Lumen card by? Don't want to be late again",
        ),
        direct=(
            "Hi {name}, thanks for reaching out! Your next payment is due on {date_future}. The minimum "
            "payment is {min_payment} and your statement balance is {balance}. You can always see this "
            "under Card > Statements in the app.",
            "Happy to help, {name}. Your next due date is {date_future}, with a minimum payment of "
            "{min_payment}. If you pay the full statement balance of {balance} by then, you won't be "
            "charged interest on purchases.",
        ),
        ask=(
            "Hi {name}, I can check that for you. Could you confirm the last four digits of your card so I "
            "pull up the right account?",
            "Thanks for reaching out, {name}! Before I look this up, can you please confirm your date of "
            "birth and the last 4 digits of your card?",
        ),
        detail=("sure it's {last4}", "Card ends in {last4}, DOB is {dob}", "{last4}. thanks"),
        system=("Account verified for customer #{cust_id}.", "Identity check passed (card ending {last4})."),
        resolve=(
            "Thanks, {name}. Your next payment is due on {date_future}. The minimum due is {min_payment}, "
            "and the full statement balance is {balance}. Paying the full balance by the due date avoids "
            "interest on purchases.",
            "All set, thank you! Your payment is due {date_future}. Minimum payment: {min_payment}. "
            "Statement balance: {balance}. If you'd like, I can set up a reminder in the app two days "
            "before the due date.",
        ),
        more=(
            (
                "ok and if I pay just the minimum what happens?",
                "Paying the minimum of {min_payment} keeps your account in good standing and avoids a late "
                "fee. Interest will be charged on the remaining balance, though, so paying more when you "
                "can saves you money.",
            ),
            (
                "Can I set up autopay so I don't forget?",
                "Yes! In the app go to Payments > Autopay and choose minimum, statement balance or a fixed "
                "amount. It will start with your {date_future} payment if you set it up at least 3 days "
                "before.",
            ),
        ),
    ),
    "change_due_date": Scenario(
        intent="payment_schedule",
        handoff=False,
        open=(
            "hey can i move my payment due date? i get paid on the {new_due_day} now so the {due_day} "
            "doesnt work",
            "Is it possible to change the date my loan payment comes out? My pay schedule changed.",
            "I'd like to move my monthly due date to later in the month, is that allowed?",
        ),
        direct=(
            "Yes, you can change it, {name}. You can move your due date once every 12 months in the app "
            "under Settings > Payment date, or I can do it for you here. The change takes effect from your "
            "next statement, so your {date_future} payment stays as scheduled.",
        ),
        ask=(
            "Absolutely, we can move it once every 12 months. Which day of the month would work best for "
            "you? Any day between the 1st and the 28th is available.",
            "I can help with that, {name}. What new due date would you like? Please pick a day between the "
            "1st and the 28th.",
        ),
        detail=(
            "the {new_due_day} please",
            "{new_due_day} would be perfect, right after payday",
            "Can we do the {new_due_day}?",
        ),
        system=(
            "Due date changed from the {due_day} to the {new_due_day} for customer #{cust_id}. "
            "Effective next cycle.",
        ),
        resolve=(
            "Done! Your due date is now the {new_due_day} of each month. This starts with your next "
            "statement, so please still make the payment due on {date_future} as normal. You'll get a "
            "confirmation email shortly.",
            "All done, {name}. I've moved your due date to the {new_due_day}. Your {date_future} payment is "
            "unchanged, and from the following month your payment will be due on the {new_due_day}. You "
            "can change it again in 12 months.",
        ),
        more=(
            (
                "will this affect my credit score?",
                "No, changing your due date doesn't affect your credit score, {name}. Just make sure the "
                "{date_future} payment is made on time, since the new date only applies from next cycle.",
            ),
            (
                "does autopay move automatically too?",
                "Yes, if you have autopay on, it will automatically follow the new due date of the "
                "{new_due_day}. You don't need to change anything.",
            ),
        ),
    ),
    "early_payoff": Scenario(
        intent="payment_schedule",
        handoff=False,
        open=(
            "I want to pay off my personal loan early. Is there a penalty for that?",
            "how much would it take to pay off my loan completely today?",
            "Hi there, I got a bonus at work and want to clear my Lumen loan. What's my payoff amount?",
        ),
        direct=(
            "Great news, {name}! There's no prepayment penalty on Lumen personal loans. Your payoff amount "
            "today is {payoff}, which includes interest accrued to date. The quote is valid for 10 days, "
            "and you can pay it in the app under Loan > Pay off loan.",
        ),
        ask=(
            "Congrats on getting close to the finish line! There's no early payoff penalty. To give you an "
            "exact payoff quote, can you confirm the loan account number or the email on file?",
        ),
        detail=("the email is {email}", "loan number is LN{loan_no}", "It's {email}"),
        system=("Payoff quote generated: {payoff}, valid through {date_future}.",),
        resolve=(
            "Thanks, {name}. Your payoff amount is {payoff}, valid through {date_future}. That covers the "
            "remaining principal plus interest accrued up to today. Once it's paid, we'll send a "
            "paid-in-full letter within 7-10 business days.",
        ),
        more=(
            (
                "will my autopay still take the next payment?",
                "Once the payoff posts, autopay is cancelled automatically. If the payoff is made less than "
                "3 business days before your next scheduled payment, that payment may still go out, and "
                "any overpayment is refunded to you within 10 business days.",
            ),
        ),
    ),
    "pending_payment": Scenario(
        intent="payment_schedule",
        handoff=False,
        open=(
            "I made a payment of {amount} yesterday but it still shows pending. Will it count as on time?",
            "my payment says pending and the due date is today, am i going to get charged a late fee??",
            "Hello, I paid {amount} on my card on the due date and it's still processing. Is that a problem?",
        ),
        direct=(
            "Don't worry, {name}. Payments made by 11:59 pm ET on the due date count as on time, even if "
            "they still show as pending. Your {amount} payment was received on {date_past} and should "
            "finish posting in 1-2 business days.",
        ),
        ask=(
            "I understand the worry. Let me take a look. Which account did you pay from, and roughly what "
            "time did you submit it?",
        ),
        detail=(
            "from my Chase checking, around 8pm",
            "It was from my savings at another bank, maybe around lunch time",
            "my credit union account, this morning",
        ),
        system=("Payment of {amount} received {date_past}, status: pending (ACH).",),
        resolve=(
            "Thanks! I can see your {amount} payment was received on {date_past}. Because it was submitted "
            "before the 11:59 pm ET cutoff, it counts as on time and no late fee will be charged. ACH "
            "payments usually take 1-2 business days to show as posted.",
        ),
    ),
}

REFUND = {
    "merchant_refund": Scenario(
        intent="refund",
        handoff=False,
        open=(
            "I returned something to {merchant} on {date_past} and the refund still isnt on my card",
            "Hi, {merchant} says they refunded me {amount} a week ago but I don't see it. Can you check?",
            "where is my refund from {merchant}?? it's been over a week",
            "Hello, I'm waiting on a refund from {merchant} and it hasn't shown up yet.",
        ),
        direct=(
            "I'm sorry for the wait, {name}. I can see a pending credit of {amount} from {merchant} dated "
            "{date_past}. Merchant refunds usually take 5-7 business days to post, so it should show as "
            "completed by {date_future}. If it hasn't posted by then, message us and we can open a claim.",
        ),
        ask=(
            "Sorry about the wait, {name}, I know that's frustrating. Can you tell me the refund amount and "
            "the last four digits of the card you used?",
            "I can look into that for you. Could you confirm the amount and the date the merchant issued "
            "the refund?",
        ),
        detail=(
            "{amount}, card ending {last4}",
            "it was {amount} on {date_past}",
            "{amount}. the card is the one ending in {last4} i think",
        ),
        system=(
            "Pending credit found: {merchant}, {amount}, initiated {date_past}.",
            "Account verified for customer #{cust_id}.",
        ),
        resolve=(
            "Thanks for confirming. I can see a pending credit of {amount} from {merchant}, initiated on "
            "{date_past}. Merchant refunds take 5-7 business days to post, so you should see it by "
            "{date_future}. If it's not there by then, reply here and I'll open a claim with the merchant "
            "for you.",
            "Good news: the refund is on its way. {merchant} sent a credit of {amount} on {date_past} and "
            "it's currently pending. It should post to your card ending {last4} by {date_future}. Nothing "
            "else is needed from you.",
        ),
        more=(
            (
                "will i get the interest back too if it posts after my statement?",
                "Yes. If the credit posts after your statement closes, any interest charged on that "
                "{amount} will be reversed automatically on your next statement.",
            ),
        ),
    ),
    "annual_fee": Scenario(
        intent="refund",
        handoff=False,
        open=(
            "I was charged the annual fee of {annual_fee} but I downgraded my card last month. Can I get "
            "that refunded?",
            "why was i charged an annual fee? I switched to the no-fee card",
            "Hi, I'd like a refund of the annual fee please, I changed cards before it was due.",
        ),
        direct=(
            "I'm sorry about that, {name}. I checked and your downgrade was processed on {date_past}, so "
            "the {annual_fee} annual fee was charged in error. I've issued a refund to your card ending "
            "{last4}, and it should appear within 1-2 business days.",
        ),
        ask=(
            "I'm sorry for the confusion, {name}. Let me check. Can you confirm the date you requested the "
            "downgrade?",
        ),
        detail=(
            "i did it on {date_past} through the app",
            "Around {date_past}, I think",
            "it was {date_past}, I have the confirmation email",
        ),
        system=(
            "Refund of {annual_fee} issued to card ending {last4}.",
            "Annual fee reversal approved: {annual_fee}, customer #{cust_id}.",
        ),
        resolve=(
            "Thanks, {name}. You're right, the downgrade went through on {date_past}, so the annual fee "
            "shouldn't have been charged. I've refunded the {annual_fee} to your card ending {last4}; "
            "you'll see the credit within 1-2 business days.",
        ),
        more=(
            (
                "does the refund also cover interest charged on it?",
                "Yes, any interest that was charged on the {annual_fee} will be reversed as well. You'll "
                "see it as a separate credit on your next statement.",
            ),
        ),
    ),
    "overpayment": Scenario(
        intent="refund",
        handoff=False,
        open=(
            "I accidentally paid my card twice this month, {amount} each time. Can I get one of them back?",
            "hi, i overpaid my balance by mistake and now my card shows a credit of {amount}. how do I get "
            "that money back to my bank?",
            "Paid {amount} twice by accident, need a refund of the extra one please",
        ),
        direct=(
            "That happens, {name}! I've requested a refund of {amount} back to the bank account ending "
            "{bank4} that you paid from. It should arrive within 3-5 business days, and your card balance "
            "will show the adjustment once it's processed.",
        ),
        ask=(
            "No problem, {name}, that happens! Would you like the {amount} sent back to the bank account "
            "you paid from, or kept as a credit on the card?",
        ),
        detail=(
            "back to my bank please",
            "Send it back to the checking account please, I need it for rent",
            "bank account pls",
        ),
        system=("Refund of {amount} initiated to linked account ending {bank4}.",),
        resolve=(
            "Done. I've started a refund of {amount} to your bank account ending {bank4}. It usually "
            "arrives within 3-5 business days. Your card balance will show the adjustment once it's "
            "processed.",
        ),
        more=(
            (
                "will that affect my payment being on time?",
                "Not at all. Your first payment already covered the amount due, so your account is in good "
                "standing and on time for this cycle.",
            ),
        ),
    ),
}

DISPUTE = {
    "merchant_dispute": Scenario(
        intent="dispute",
        handoff=False,
        open=(
            "I want to dispute a charge from {merchant} for {amount}. I never got the order.",
            "{merchant} charged me {amount} but the price was supposed to be {amount2}. How do I dispute "
            "this?",
            "hi there is a charge on my statement from {merchant} I need to dispute, they won't answer my "
            "emails",
        ),
        ask=(
            "I'm sorry you're dealing with this, {name}. I can open a dispute for you. Can you tell me the "
            "transaction date and whether you've contacted {merchant} already?",
            "I can help you dispute that. To file it, I'll need the date of the charge and a short "
            "description of what happened with the merchant.",
        ),
        detail=(
            "it was on {date_past}. I emailed them twice and got nothing back",
            "{date_past}. I contacted them and they just said to wait",
            "The charge was {date_past}, I have screenshots of the emails if that helps",
        ),
        system=(
            "Dispute {case_no} opened for {amount} ({merchant}, {date_past}). Provisional credit applied.",
            "Dispute case {case_no} created. Status: under review.",
        ),
        resolve=(
            "Thanks, {name}. I've opened dispute {case_no} for the {amount} charge from {merchant} on "
            "{date_past}. We've applied a provisional credit while we investigate and will contact the "
            "merchant. Most disputes are resolved within 30-45 days; you can upload your emails in the app "
            "under Disputes.",
            "Your dispute is filed: case number {case_no}. We've placed a temporary credit of {amount} on "
            "your account while we review it with {merchant}. We'll email you if we need anything else, and "
            "you'll get a decision within 45 days at the latest.",
        ),
        more=(
            (
                "what happens if the merchant says they did deliver?",
                "If {merchant} provides proof of delivery, we'll share it with you and you'll have 10 days "
                "to respond. The provisional credit stays on your account until a final decision is made.",
            ),
            (
                "do I need to cancel my card?",
                "No, this is a merchant dispute rather than fraud, so your card ending {last4} is safe to "
                "keep using.",
            ),
        ),
    ),
    "duplicate_charge": Scenario(
        intent="dispute",
        handoff=False,
        open=(
            "I got charged twice at {merchant} for the same thing, {amount} both times",
            "there's a duplicate transaction from {merchant} on my card, can you remove one??",
            "Hello, I see two identical charges of {amount} from {merchant}. I only bought it once.",
        ),
        direct=(
            "I'm sorry about that, {name}. I can see two {amount} charges from {merchant} on {date_past}. "
            "I've opened dispute {case_no} for the duplicate and applied a provisional credit of {amount}, "
            "so you won't pay interest on it while we review.",
        ),
        ask=(
            "Sorry about that, {name}. Are both charges posted, or is one still pending? Pending duplicates "
            "often drop off on their own within 3 business days.",
        ),
        detail=(
            "both are posted, from {date_past}",
            "both say posted",
            "They're both posted since {date_past}",
        ),
        system=(
            "Duplicate charge confirmed: {merchant} {amount} x2 on {date_past}. Dispute {case_no} opened.",
        ),
        resolve=(
            "Thanks for checking. I can see both {amount} charges from {merchant} posted on {date_past}. "
            "I've opened dispute {case_no} for the duplicate and added a provisional credit of {amount} to "
            "your account, so you won't pay interest on it while we review.",
        ),
    ),
    # Fraud is never handled in the chat queue: the right move is a transfer to the fraud team.
    "fraud": Scenario(
        intent="dispute",
        handoff=True,
        open=(
            "There are charges on my card I didn't make! {merchant} {amount} and a couple more",
            "someone is using my card. I just got alerts for {amount} at {merchant} and im at home with my "
            "card",
            "Hi, I think my card was stolen, I see purchases I don't recognize",
        ),
        ask=(
            "I'm really sorry, {name}, that's alarming. I've placed a temporary lock on your card ending "
            "{last4} so no new charges can go through. Can you tell me which transactions you don't "
            "recognize?",
            "Thank you for telling us right away. For your protection I've frozen the card ending {last4}. "
            "Which charges don't look familiar?",
        ),
        detail=(
            "{merchant} for {amount} and another one for {amount2}, I didn't make any of them",
            H("all of the ones from today. can I please talk to someone from the fraud department?"),
            H("the {amount} one and everything after it. I want to talk to a real person about this"),
            "Everything since {date_past}. I still have my card in my wallet",
        ),
        system=("Card ending {last4} locked. Fraud case {case_no} opened.",),
        resolve=(
            "Thank you, {name}. Because these look like unauthorized charges, I'm transferring you to our "
            "fraud specialists now. They can review each charge, issue a replacement card and start the "
            "claim ({case_no}). Your card stays locked in the meantime, and you won't be held responsible "
            "for fraudulent charges.",
            "I've logged case {case_no} and I'm connecting you with our fraud team now; they handle "
            "unauthorized charges directly and can send you a new card. Please stay in the chat, the wait "
            "is usually under 5 minutes.",
        ),
        direct_open=(
            H("I need to report fraud on my account, please connect me to the fraud team"),
            H("Someone stole my card. I need to speak with a fraud specialist asap"),
        ),
        direct=(
            "Of course, {name}. I'm transferring you to our fraud team now. I've already locked your card "
            "ending {last4} so no new charges can go through while you wait.",
        ),
    ),
    # Anything involving lawyers, courts or regulators goes to the specialist disputes team.
    "legal": Scenario(
        intent="dispute",
        handoff=True,
        open=(
            "My lawyer told me to contact you about the charges from {merchant}. We're taking them to small "
            "claims court",
            "I received a court summons related to a debt you say I owe. I dispute this.",
            "I'm disputing {amount} and I've already filed a complaint with the CFPB",
        ),
        ask=(
            "Thank you for letting us know, {name}. Can you share the case or reference number you've "
            "received so I can note it on your account?",
        ),
        detail=(
            H("The reference is {ref}. I'd rather speak to someone who handles legal matters"),
            "reference {ref}. what happens now?",
            "It's {ref}.",
        ),
        system=("Reference {ref} added to customer #{cust_id}. Legal review flag set.",),
        resolve=(
            "Thanks, {name}. Because this involves a legal matter, I'm not able to handle it in chat, so "
            "I'm transferring you to our disputes and legal specialist team now. I've added reference {ref} "
            "to your account so you won't need to repeat it.",
            "I appreciate you sharing that. Matters involving legal action go to our specialist disputes "
            "team, so I'm handing you over to them now. They'll have your notes and reference {ref}.",
        ),
    ),
}

DECLINED_CARD = {
    "fraud_screen": Scenario(
        intent="declined_card",
        handoff=False,
        open=(
            "my card just got declined at {merchant} and I have plenty of credit left?? what is going on",
            "Hi, why was my card declined? I was trying to pay {amount} at {merchant}.",
            "Card declined again at {merchant}. Super embarrassing. Pls fix",
            "tried to buy something online for {amount} and it keeps saying declined",
        ),
        ask=(
            "I'm sorry that happened, {name}. Let me look into it. Can you confirm the last 4 digits of the "
            "card and roughly when you tried the purchase?",
            "That's frustrating, I'm sorry. Could you verify your date of birth so I can check your account?",
        ),
        detail=("{last4}, about 20 minutes ago", "dob is {dob}", "card ending {last4}, it was just now"),
        system=(
            "Account verified for customer #{cust_id}. Last authorization declined: suspected fraud "
            "(unusual location).",
            "Declined auth: {merchant}, {amount}, reason code 59 (fraud screening).",
        ),
        resolve=(
            "Thanks, {name}. The purchase at {merchant} was declined by our fraud screening because it "
            "looked unusual for your account. I've confirmed it's you and removed the block, so you can try "
            "the {amount} purchase again now. You can also turn on purchase alerts in the app.",
            "Found it. Our fraud system flagged the {amount} charge at {merchant} as unusual. I've cleared "
            "that flag, so please go ahead and try again. If it's declined a second time, let me know and "
            "I'll stay on the chat while you retry.",
        ),
        more=(
            (
                "Will this happen again?",
                "It shouldn't. Now that the purchase is confirmed, our system learns from it. If you're "
                "traveling or making a large purchase, you can set a notice under Card > Travel & large "
                "purchases.",
            ),
        ),
    ),
    "expired": Scenario(
        intent="declined_card",
        handoff=False,
        open=(
            "My card isn't working anywhere since yesterday",
            "every transaction on my card is getting declined since this morning",
            "Hello, my Lumen card keeps getting declined, even for small stuff like coffee.",
        ),
        ask=(
            "I'm sorry, {name}, let's get this sorted. Can you confirm the last four digits of the card "
            "you're using?",
        ),
        detail=("{last4}", "its {last4}", "The one ending {last4}"),
        system=(
            "Card ending {last4}: status EXPIRED ({exp}). Replacement card ending {new4}: not activated.",
        ),
        resolve=(
            "Thanks. Your card ending {last4} expired at the end of {exp}. We mailed a replacement ending "
            "{new4} on {date_past}. Once you activate it in the app under Card > Activate, it'll work right "
            "away. If you haven't received it, I can send a new one.",
        ),
        more=(
            (
                "I never got the new card",
                "Sorry about that. I've cancelled the card ending {new4} for safety and ordered a new one "
                "to your address on file. It should arrive within 5-7 business days, and you can use the "
                "virtual card in the app in the meantime.",
            ),
        ),
    ),
    "holds": Scenario(
        intent="declined_card",
        handoff=False,
        open=(
            "Why was my payment declined? I thought I had more than enough available",
            "card got declined at {merchant} for {amount}, my balance is way under the limit",
            "I keep getting declined but my limit should be fine. can you check?",
        ),
        direct=(
            "Thanks for waiting, {name}. Your available credit is {avail} right now because there are "
            "pending authorizations of {pending} that haven't dropped off yet, like hotel or gas station "
            "holds. Those usually release within 3-5 business days, and a payment frees up credit right "
            "away.",
        ),
        ask=("Let me take a look, {name}. Can you confirm the last four digits of your card?",),
        detail=("{last4}", "ending in {last4}", "sure, {last4}"),
        system=("Available credit: {avail}. Pending authorizations: {pending}.",),
        resolve=(
            "Thanks. Your available credit is {avail} right now because there are pending authorizations "
            "of {pending} that haven't dropped off yet, like hotel or gas station holds. Those usually "
            "release within 3-5 business days. If you need the credit sooner, making a payment frees it up "
            "right away.",
        ),
    ),
}

LATE_FEE = {
    "first_time": Scenario(
        intent="late_fee",
        handoff=False,
        open=(
            "I was charged a {fee} late fee but I've never been late before. Can you waive it?",
            "hi i just saw a late fee on my statement, i paid only 1 day late. can it be removed",
            "Is there anything you can do about the late fee? I was in the hospital and forgot to pay",
            "Why do I have a {fee} fee on my account?? I paid!",
        ),
        direct=(
            "I'm sorry about that, {name}. You've paid on time every month before this, so I've waived the "
            "{fee} late fee as a one-time courtesy. The credit will appear within 1-2 business days. "
            "Setting up autopay for the minimum payment can help avoid this in future.",
        ),
        ask=(
            "I'm sorry about that, {name}. Let me take a look at your account. Can you confirm the last 4 "
            "digits of your card?",
            "I understand, {name}. Let me review your payment history. When did you make the payment?",
        ),
        detail=(
            "{last4}",
            "I paid on {date_past}, the due date was the day before",
            "it's {last4}. I paid it {date_past}",
        ),
        system=(
            "Late fee of {fee} reversed for customer #{cust_id}. Courtesy waiver used (1 per 12 months).",
            "Payment history: 18 months on time. Late fee {fee} assessed {date_past}.",
        ),
        resolve=(
            "Thanks, {name}. I can see you've always paid on time, so I've waived the {fee} late fee as a "
            "one-time courtesy. The credit will show on your account within 1-2 business days. To avoid "
            "this in future, you can set up autopay for at least the minimum payment.",
            "I've reviewed it: your payment arrived on {date_past}, one day after the due date, which is "
            "why the {fee} fee was charged. Since your history is otherwise perfect, I've reversed the fee "
            "as a courtesy. You'll see the credit within 1-2 business days.",
        ),
        more=(
            (
                "will this hurt my credit score?",
                "A payment is only reported late to the credit bureaus once it's 30 or more days past due, "
                "so a payment made {date_past} won't be reported. Your credit score won't be affected.",
            ),
            (
                "can you set up autopay for me?",
                "Sure. I've turned on autopay for the minimum payment from your bank account ending "
                "{bank4}, starting with your {date_future} due date. You can change it to the full balance "
                "anytime in the app.",
            ),
        ),
    ),
    "repeat_late": Scenario(
        intent="late_fee",
        handoff=False,
        open=(
            "Can you take off this late fee? I know I was late last month too but money is tight",
            "I got another late fee of {fee}, can you please reverse it",
            "please remove the {fee} late charge, I paid as soon as I could",
        ),
        ask=(
            "I'm sorry things are tight right now, {name}. Let me check what I can do. Can you confirm the "
            "last four digits of your card?",
        ),
        detail=("{last4}", "its {last4}", "{last4}, thanks"),
        system=("Courtesy waiver unavailable: last waiver used {date_past2}.",),
        resolve=(
            "Thanks, {name}. I'm not able to waive this {fee} fee because a courtesy waiver was already "
            "applied on {date_past2}, and we can only offer one every 12 months. What I can do is set up a "
            "payment plan or move your due date closer to your payday, which can help avoid more late fees. "
            "Would either of those help?",
        ),
        more=(
            (
                "ok can we move the due date then",
                "Of course. What day of the month works best for you? Any day from the 1st to the 28th is "
                "available, and the change starts with your next statement.",
            ),
            (
                "what's the payment plan option?",
                "Our hardship plan can lower your interest rate and set a fixed monthly payment for up to "
                "12 months, with no fee to enroll. I can send you the application link now, and a "
                "specialist reviews it within 2 business days.",
            ),
        ),
    ),
    "fee_policy": Scenario(
        intent="late_fee",
        handoff=False,
        open=(
            "How much is the late fee and when do you charge it?",
            "If I pay a few days after the due date will I get a late fee?",
            "quick question, whats the late fee on the card",
        ),
        direct=(
            "Good question, {name}. If the minimum payment isn't received by 11:59 pm ET on your due date, "
            "a late fee of up to {fee} is charged. It's never more than your minimum payment. Your next "
            "due date is {date_future}, and autopay is the easiest way to avoid the fee.",
        ),
        ask=("Happy to explain. Is this about your credit card or a personal loan? The fees are different.",),
        detail=("the credit card", "credit card", "My Lumen card"),
        resolve=(
            "Thanks! For the card, if the minimum payment isn't received by 11:59 pm ET on the due date, a "
            "late fee of up to {fee} is charged, and it's never more than the minimum payment. Your next "
            "due date is {date_future}. Autopay for the minimum is the easiest way to make sure it never "
            "happens.",
        ),
    ),
}

CLOSE_ACCOUNT = {
    "close_card": Scenario(
        intent="close_account",
        handoff=False,
        open=(
            "I want to close my Lumen credit card.",
            "hi how do I close my account? I don't use it anymore",
            "Please cancel my card, I'm moving to another bank",
            "I'd like to close my account. How long does it take?",
        ),
        ask=(
            "I'm sorry to see you go, {name}. I can help with that. Can I ask why you're closing it? "
            "Sometimes there's an option that fits better, like our no-fee card.",
            "I can help you close it, {name}. Just so you know, your balance is {balance}, and it needs to "
            "be paid off before the account is fully closed. Would you still like to go ahead?",
        ),
        detail=(
            "I just don't use it and don't want the annual fee",
            "yes please go ahead",
            "yeah, close it. I'll pay the balance today",
            "no thanks, I've made up my mind",
        ),
        system=(
            "Account closure requested for customer #{cust_id}. Status: pending zero balance.",
            "Card ending {last4} closed. Final statement scheduled for {date_future}.",
        ),
        resolve=(
            "Understood. I've submitted the closure request for your card ending {last4}. You'll get a "
            "final statement on {date_future}; once any remaining balance is paid, the account will be "
            "fully closed and you'll receive a confirmation letter. Redeem any rewards points before then.",
            "Done, {name}. Your card ending {last4} is now closed to new purchases. Your final statement "
            "will arrive on {date_future}, and once the balance of {balance} is paid, the account closes "
            "automatically. Remember to update any subscriptions that used this card.",
        ),
        more=(
            (
                "what happens to my rewards points?",
                "You have {points} points. They stay available for 30 days after closing, so you can "
                "redeem them for a statement credit in the app before then. After that they expire.",
            ),
            (
                "will closing it hurt my credit?",
                "It can have a small effect, since closing a card lowers your total available credit and "
                "may raise your utilization. Your payment history stays on your report, though, and on-time "
                "payments keep counting in your favor.",
            ),
        ),
    ),
    # Bereavement cases go to a dedicated team that handles estates and documents.
    "bereavement": Scenario(
        intent="close_account",
        handoff=True,
        open=(
            "Hello, my father passed away last week and he had a Lumen credit card. I need to close his "
            "account.",
            "hi. my wife died recently and I need to deal with her accounts with you. I don't know where to "
            "start",
            "I'm the executor of my mother's estate and need to close her Lumen Bank account",
        ),
        ask=(
            "I'm so sorry for your loss, {name}. Thank you for reaching out while you're dealing with so "
            "much. Can you share your relationship to the account holder and their full name?",
            "Please accept my condolences, {name}. I'll make this as simple as possible. Could you tell me "
            "the account holder's name and whether you're the executor of the estate?",
        ),
        detail=(
            "the name is {deceased}. I'm family",
            "{deceased}. yes I'm the executor",
            H("{deceased}. Can I speak to someone about this on the phone please, its a lot to type out"),
        ),
        system=(
            "Bereavement case {case_no} opened. Account for {deceased} flagged: no further statements or "
            "fees.",
        ),
        resolve=(
            "Thank you, {name}. I've paused all fees and statements on the account. Our bereavement team "
            "handles these accounts with extra care, so I'm transferring you to a specialist now. They'll "
            "explain which documents are needed and take it from there. Your case number is {case_no}.",
            "Thank you for sharing that. I'm connecting you with our bereavement support specialists, who "
            "will guide you through the next steps and the documents we need. I've already stopped "
            "statements and fees on {deceased}'s account. Case number {case_no}.",
        ),
        direct_open=(H("my husband passed away. I need to talk to a person about his account please"),),
        direct=(
            "I'm very sorry for your loss, {name}. I'm transferring you to our bereavement team right now; "
            "they'll walk you through everything step by step. I've noted the account so no fees will be "
            "charged while this is handled.",
        ),
    ),
    # Power-of-attorney documents must be verified by specialists before anything is changed.
    "power_of_attorney": Scenario(
        intent="close_account",
        handoff=True,
        open=(
            "I have power of attorney for my dad and need to close his card",
            "I'm writing on behalf of my grandmother, she can't manage her finances anymore and we want to "
            "close her account. I have POA",
        ),
        ask=(
            "Thanks for reaching out, {name}. I can help get this started. Do you have the power of "
            "attorney document ready to upload?",
        ),
        detail=(
            "yes I have a copy",
            H("Yes. Could I talk to someone directly though? I have questions about the autopay too"),
        ),
        resolve=(
            "Thank you. Power of attorney requests have to be reviewed by our specialist team, so I'm "
            "transferring you to them now. They'll verify the document and close the account, and can help "
            "with any autopay questions too.",
        ),
    ),
}

# Customers asking for a person, in several registers: angry, polite, terse and indirect.
ASK_FOR_HUMAN = (
    H("I want to talk to a human. Not a bot."),
    H("AGENT. REAL PERSON. NOW."),
    H("Hi, could I please speak to a customer service representative?"),
    H("can i talk to someone real"),
    H("Is there a real person I can talk to about my account?"),
    H("I've been going back and forth with this automated thing for 20 minutes, get me a person please"),
    H(
        "Hello, I'd prefer to speak with a member of your team rather than the virtual assistant, if that's "
        "possible."
    ),
    H("representative"),
    H("Can you connect me with someone who can actually help? Your app keeps sending me in circles"),
    H("is anyone actually there or is this all automated"),
)

HUMAN_REQUEST = {
    "ask_upfront": Scenario(
        intent="human_request",
        handoff=True,
        open=ASK_FOR_HUMAN,
        direct=(
            "Of course, {name}. I'm transferring you to a member of our support team now. The current wait "
            "is about {wait} minutes, and they'll be able to see this conversation so you won't have to "
            "repeat yourself.",
            "Absolutely. I'm connecting you with one of our agents right now. Expected wait time is around "
            "{wait} minutes. Thank you for your patience.",
            "I'm sorry for the runaround, {name}. I'm transferring you to a live agent now; they'll have the "
            "full history of this chat. Estimated wait: {wait} minutes.",
        ),
    ),
    "ask_after_trying": Scenario(
        intent="human_request",
        handoff=True,
        open=(
            "My account is showing a weird balance and nothing in the app makes sense",
            "I keep getting texts from you about a payment I already made",
            "I need help with something complicated about my loan and my card",
            "The app won't let me log in and I've reset my password 3 times",
        ),
        ask=(
            "I'm sorry about the trouble, {name}. I'd like to help. Can you tell me a bit more about what "
            "you're seeing?",
            "Thanks for reaching out. Could you share a few more details so I can look into it?",
        ),
        detail=(
            H("honestly I'd rather just talk to a real person. can you do that?"),
            H("No, I've explained this three times already. Get me a human please."),
            H("I'd prefer to speak to someone on the phone if possible"),
            H("this is going nowhere. is there anyone real there"),
            H("Can I talk to a supervisor?"),
            H("Please transfer me to an agent."),
        ),
        system=("Transfer queued: general support, est. wait {wait} min.",),
        resolve=(
            "I completely understand, {name}. I'm transferring you to a member of our support team now. "
            "They'll see everything you've told me, so you won't need to start over. The wait is about "
            "{wait} minutes.",
            "Of course, I'll get you to a person. I'm transferring you now; the estimated wait is {wait} "
            "minutes and they'll have this conversation in front of them.",
            "I'm sorry this has been frustrating. I'm handing you over to one of our team leads now. They "
            "should be with you in about {wait} minutes.",
        ),
    ),
    "route_first": Scenario(
        intent="human_request",
        handoff=True,
        open=ASK_FOR_HUMAN,
        ask=(
            "Of course, I can connect you. So I can send you to the right team, what is it about? For "
            "example your card, a loan, or a payment.",
            "Happy to get you to someone, {name}. Could you tell me briefly what it's about so I can route "
            "you to the right specialist?",
        ),
        detail=(
            H("it's about my loan payment. just put me through to someone please"),
            H("card stuff. I want a person"),
            H("A payment issue. Please, a real person."),
            H("my credit limit. can I talk to someone now"),
        ),
        system=("Transfer queued: specialist support, est. wait {wait} min.",),
        resolve=(
            "Thanks, {name}. I'm transferring you to the right specialist now. The estimated wait is {wait} "
            "minutes, and they'll see this chat so you won't have to repeat anything.",
            "Got it, thank you. I'm connecting you with a specialist for that now; expected wait is about "
            "{wait} minutes.",
        ),
    ),
}

SCENARIOS = {
    **{f"payment_schedule/{k}": v for k, v in PAYMENT_SCHEDULE.items()},
    **{f"refund/{k}": v for k, v in REFUND.items()},
    **{f"dispute/{k}": v for k, v in DISPUTE.items()},
    **{f"declined_card/{k}": v for k, v in DECLINED_CARD.items()},
    **{f"late_fee/{k}": v for k, v in LATE_FEE.items()},
    **{f"close_account/{k}": v for k, v in CLOSE_ACCOUNT.items()},
    **{f"human_request/{k}": v for k, v in HUMAN_REQUEST.items()},
}

# How many conversations of each scenario to generate (150 in total). Handoff scenarios: all of
# human_request (20) plus fraud/legal disputes (8) and bereavement/POA closures (5) = 33, i.e. 22%.
PLAN = {
    "payment_schedule/next_due": 7,
    "payment_schedule/change_due_date": 6,
    "payment_schedule/early_payoff": 4,
    "payment_schedule/pending_payment": 5,
    "refund/merchant_refund": 9,
    "refund/annual_fee": 6,
    "refund/overpayment": 7,
    "dispute/merchant_dispute": 9,
    "dispute/duplicate_charge": 7,
    "dispute/fraud": 5,
    "dispute/legal": 3,
    "declined_card/fraud_screen": 10,
    "declined_card/expired": 6,
    "declined_card/holds": 6,
    "late_fee/first_time": 10,
    "late_fee/repeat_late": 5,
    "late_fee/fee_policy": 5,
    "close_account/close_card": 15,
    "close_account/bereavement": 3,
    "close_account/power_of_attorney": 2,
    "human_request/ask_upfront": 7,
    "human_request/ask_after_trying": 7,
    "human_request/route_first": 6,
}


# ---------------------------------------------------------------------------------------------------------
# Surface realism: typos and channel framing
# ---------------------------------------------------------------------------------------------------------


def add_typo(text: str, rng: Random) -> str:
    """Introduce one small, plausible typo (customers type fast on phones)."""
    kind = rng.choice(("apostrophe", "swap", "double", "lower"))
    if kind == "apostrophe" and "'" in text:
        return text.replace("'", "", 1)
    if kind == "lower" and text[:1].isupper():
        return text[0].lower() + text[1:]
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 5]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if kind == "swap" else w[:j] + w[j] + w[j:]
    return " ".join(words)


def customer_text(template: str, slots: dict, rng: Random, channel: str) -> str:
    text = fill(template, slots)
    # Email customers write more carefully; chat/app customers make the odd typo.
    if channel != "email" and rng.random() < 0.15:
        text = add_typo(text, rng)
    return text


# ---------------------------------------------------------------------------------------------------------
# Conversation assembly
# ---------------------------------------------------------------------------------------------------------


def pick_channel(rng: Random) -> str:
    r = rng.random()
    acc = 0.0
    for channel, weight in CHANNELS:
        acc += weight
        if r < acc:
            return channel
    return CHANNELS[-1][0]


def build_turns(sc: Scenario, slots: dict, rng: Random, channel: str) -> list[dict]:
    turns: list[dict] = []

    def customer(template: str) -> None:
        meta = {"asks_for_human": True} if isinstance(template, AsksHuman) else {}
        turns.append({"role": "customer", "text": customer_text(template, slots, rng, channel), "meta": meta})

    def agent(template: str, handoff: bool = False) -> None:
        text = fill(template, slots)
        is_first = not any(t["role"] == "agent" for t in turns)
        if is_first and channel != "email" and rng.random() < 0.3 and not text.startswith(("Hi ", "Hello")):
            # The greeting already names the customer, so drop the name from the reply's first sentence.
            text = text.replace(f", {slots['name']}", "", 1)
            text = f"Hi {slots['name']}, this is {slots['agent']} from Lumen Bank. " + text
        turns.append({"role": "agent", "text": text, "meta": {"handoff": handoff}})

    def system(p: float) -> None:
        if sc.system and rng.random() < p:
            turns.append({"role": "system", "text": fill(rng.choice(sc.system), slots), "meta": {}})

    closings = HANDOFF_CLOSINGS if sc.handoff else CLOSINGS
    can_short = bool(sc.direct)
    can_medium = bool(sc.ask and sc.detail and sc.resolve)
    shape = "short" if can_short and (not can_medium or rng.random() < 0.35) else "medium"
    if shape == "medium" and sc.more and rng.random() < 0.35:
        shape = "long"

    if shape == "short":
        customer(rng.choice(sc.direct_open or sc.open))
        system(0.4)
        agent(rng.choice(sc.direct), handoff=sc.handoff)
        customer(rng.choice(closings))
        return turns

    customer(rng.choice(sc.open))
    agent(rng.choice(sc.ask))
    customer(rng.choice(sc.detail))
    system(0.55)
    agent(rng.choice(sc.resolve), handoff=sc.handoff)
    if shape == "medium":
        customer(rng.choice(closings))
        return turns
    question, answer = rng.choice(sc.more)
    customer(question)
    agent(answer)
    if rng.random() < 0.6:
        customer(rng.choice(closings))
    return turns


def frame_email(turns: list[dict], slots: dict) -> None:
    """Email openers carry a greeting and a sign-off, like real inbound support mail."""
    first = turns[0]
    first["text"] = f"Hello,\n\n{first['text']}\n\nThanks,\n{slots['name']}"


def build_conversations(seed: int) -> tuple[list[dict], dict[str, dict]]:
    rng = Random(seed)
    keys = [key for key, count in PLAN.items() for _ in range(count)]
    rng.shuffle(keys)  # mix intents so the file is not sorted by label
    conversations = []
    slots_by_id = {}
    for n, key in enumerate(keys, start=1):
        sc = SCENARIOS[key]
        conv_id = f"demo-{n:04d}"
        slots = make_slots(rng)
        channel = pick_channel(rng)
        turns = build_turns(sc, slots, rng, channel)
        if channel == "email":
            frame_email(turns, slots)
        conversations.append(
            {
                "id": conv_id,
                "turns": turns,
                "meta": {
                    "intent": sc.intent,
                    "company": COMPANY,
                    "channel": channel,
                    "language": LANGUAGE,
                    "handoff_expected": sc.handoff,
                },
            }
        )
        slots_by_id[conv_id] = slots
    return conversations, slots_by_id


def iter_cases(conversations: list[dict]):
    """Yield (case_id, conversation, turn_index) for every agent turn: each one is an evaluation case."""
    for conv in conversations:
        for i, turn in enumerate(conv["turns"]):
            if turn["role"] == "agent":
                yield f"{conv['id']}:{i}", conv, i


# ---------------------------------------------------------------------------------------------------------
# Bot v1: templated, vague, frequently misses handoffs
# ---------------------------------------------------------------------------------------------------------

V1_GENERIC = (
    "I understand your concern. Please check our help center for more information.",
    "Thank you for contacting Lumen Bank. Your request is important to us.",
    "I'm sorry for any inconvenience. Is there anything else I can help you with today?",
    "Thanks for reaching out! For account questions, please visit the help center or check the app.",
)
# Some templates reference placeholders that the v1 pipeline never fills; they leak into the reply.
V1_BY_INTENT = {
    "payment_schedule": (
        "Your payment due date can be found in the app under Statements. Please make sure to pay on time "
        "to avoid fees.",
        "Hi {customer_name}, you can manage your payments in the Lumen app. Please check your statement "
        "for the due date.",
        "Payments can be scheduled in the app. Autopay is available for your convenience.",
    ),
    "refund": (
        "Refunds usually take some time to process. Please wait a few business days and check again.",
        "Hi {customer_name}, your refund for order [ORDER_ID] is being processed.",
        "I understand you are waiting for a refund. Refunds are handled by the merchant.",
    ),
    "dispute": (
        "You can dispute a transaction in the app under Transactions. Our team will review it.",
        "I'm sorry to hear about this charge. Please contact the merchant first to resolve the issue.",
        "Your dispute for [TRANSACTION_ID] has been noted.",
    ),
    "declined_card": (
        "Cards can be declined for many reasons. Please check your available balance and try again.",
        "Please make sure your card is activated and not expired.",
        "I'm sorry your card was declined. Please try again later.",
    ),
    "late_fee": (
        "Late fees are charged when the minimum payment is not received by the due date. Please see your "
        "cardholder agreement.",
        "I understand your concern about the late fee. Late fees may be waived in some cases. Please review "
        "your statement.",
        "A late fee is charged if your payment is late. You can set up autopay to avoid late fees in the "
        "future.",
    ),
    "close_account": (
        "To close your account, please make sure your balance is paid off. We're sorry to see you go!",
        "You can request an account closure in the app under Settings.",
        "Hi {customer_name}, your account closure request has been received.",
    ),
    "human_request": (
        "I'm a virtual assistant and I can answer most questions. What do you need help with?",
        "Let me try to help you first. Can you describe your issue?",
        "I can help you with that myself! What can I do for you today?",
    ),
}
V1_FORBIDDEN_PROMISES = (
    "I guarantee your fee will be refunded.",
    "I promise this will be fixed today.",
    "You will definitely get your money back.",
    "I can guarantee this won't affect your credit score.",
)
V1_TRANSFER = ("Let me connect you with an agent.", "Transferring you to a representative.")


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def v1_reply(rng: Random, intent: str, reference: str, ref_handoff: bool) -> tuple[str, bool]:
    if ref_handoff:
        # v1 hands off only about a third of the time; otherwise it insists on handling it itself.
        if rng.random() < 0.3:
            return rng.choice(V1_TRANSFER), True
        return "I can help you with that myself! " + rng.choice(V1_BY_INTENT[intent]), False
    # A quarter of the time the intent detector is wrong and the reply is about something else.
    guessed = intent if rng.random() < 0.75 else rng.choice([i for i in INTENTS if i != intent])
    parts = [rng.choice(V1_BY_INTENT[guessed])]
    if rng.random() < 0.35:
        parts.insert(0, rng.choice(V1_GENERIC))
    # Occasionally the retrieval step surfaces a sentence from the right macro: per-case noise.
    if guessed == intent and rng.random() < 0.25:
        parts.append(rng.choice(sentences(reference)))
    if rng.random() < 0.08:
        parts.append(rng.choice(V1_FORBIDDEN_PROMISES))
    handoff = rng.random() < 0.03
    if handoff:
        parts.append(rng.choice(V1_TRANSFER))
    return " ".join(parts), handoff


# ---------------------------------------------------------------------------------------------------------
# Bot v2: paraphrases the right answer, hands off correctly -- except on late_fee (planted regression)
# ---------------------------------------------------------------------------------------------------------

# Word-level rewrites that keep the meaning but change surface form, so v2 is close to, not equal to,
# the human reference.
V2_REWRITES = (
    ("I'm sorry", "Sorry"),
    ("I've", "I have"),
    ("you'll", "you will"),
    ("You'll", "You will"),
    ("won't", "will not"),
    ("Thanks", "Thank you"),
    ("right now", "now"),
    ("Of course", "Sure"),
    ("usually", "typically"),
    ("within", "in"),
    ("transferring you to", "connecting you with"),
    ("I can see", "I see"),
    ("Can you", "Could you"),
    ("Done", "All set"),
    ("in the app", "in the Lumen app"),
    ("business days", "working days"),
    ("account", "Lumen account"),
    ("Please ", ""),
)
V2_PREFIXES = ("Thanks for your patience! ", "Sure thing. ", "Got it. ", "Happy to help. ")
V2_TRANSFER_MISS = (
    "Let me see what I can do first. Could you tell me a bit more about the issue?",
    "I can look into this for you. What seems to be the problem?",
)
# The regression: a broken late_fee routing rule sends these conversations to unrelated macros.
V2_LATE_FEE_BROKEN = (
    "Thanks for your message! You can view your rewards balance and redeem points in the Lumen app under "
    "Rewards.",
    "Great question! Our high-yield savings account has no monthly fees. Would you like to open one today?",
    "To update your mailing address, go to Settings > Profile in the app.",
    "Thank you for reaching out to Lumen Bank. How else can I help you today?",
    "You can add your card to Apple Pay or Google Pay from the Card tab in the app.",
    "I'd be happy to help with your card. Is there anything else you'd like to know about your account?",
)


def paraphrase(rng: Random, text: str, slots: dict) -> str:
    parts = sentences(text)
    # Drop the odd sentence (never the first, which carries the main answer).
    if len(parts) > 2:
        parts = [parts[0]] + [s for s in parts[1:] if rng.random() > 0.3]
    out = " ".join(parts)
    for old, new in V2_REWRITES:
        if old in out and rng.random() < 0.5:
            out = out.replace(old, new)
    if rng.random() < 0.4:
        out = out.replace(f", {slots['name']}", "")
    if rng.random() < 0.3:
        out = rng.choice(V2_PREFIXES) + out
    return out


def v2_reply(rng: Random, intent: str, reference: str, ref_handoff: bool, slots: dict) -> tuple[str, bool]:
    if ref_handoff:
        if rng.random() < 0.88:
            return paraphrase(rng, reference, slots), True
        return rng.choice(V2_TRANSFER_MISS), False
    if intent == "late_fee":
        if rng.random() < 0.85:
            return rng.choice(V2_LATE_FEE_BROKEN), False
        return "Fees are explained in your cardholder agreement, which you can find in the app.", False
    if rng.random() < 0.15:
        # Some noise: a correct-intent but templated answer, no better than v1.
        return rng.choice(V1_BY_INTENT[intent]).replace("{customer_name}", slots["name"]), False
    return paraphrase(rng, reference, slots), False


def build_replies(conversations: list[dict], slots_by_id: dict[str, dict], seed: int):
    rng_v1 = Random(seed + 1)
    rng_v2 = Random(seed + 2)
    cases = list(iter_cases(conversations))
    missing = set(Random(seed + 3).sample([c[0] for c in cases], round(V1_MISSING_RATE * len(cases))))
    v1, v2 = [], []
    for case_id, conv, i in cases:
        turn = conv["turns"][i]
        intent = conv["meta"]["intent"]
        ref_handoff = turn["meta"]["handoff"]
        # Draw for every case, even missing ones, so the rest of the file does not shift with the gaps.
        text, handoff = v1_reply(rng_v1, intent, turn["text"], ref_handoff)
        if case_id not in missing:
            v1.append({"case_id": case_id, "text": text, "handoff": handoff})
        text, handoff = v2_reply(rng_v2, intent, turn["text"], ref_handoff, slots_by_id[conv["id"]])
        v2.append({"case_id": case_id, "text": text, "handoff": handoff})
    return v1, v2, sorted(missing)


# ---------------------------------------------------------------------------------------------------------
# Classifier training labels
# ---------------------------------------------------------------------------------------------------------

# Stand-alone utterances that widen coverage of the "yes" class and add hard negatives that mention
# agents, people or representatives without asking for one.
EXTRA_YES_STEMS = (
    "can I speak to a real person",
    "I need to talk to a human",
    "transfer me to an agent",
    "put me through to a representative",
    "is there someone I can call",
    "get me a supervisor",
    "I want a live agent",
    "connect me to customer service",
    "let me talk to someone who works there",
    "I'd like to speak with a person",
    "stop with the bot, I want a human",
    "can a human look at this",
)
EXTRA_YES_FRAMES = (
    "{s}",
    "{s} please",
    "{s}?",
    "Hi, {s}.",
    "ugh. {s}",
    "{s}, this is about my card",
    "{s}, it's urgent",
)
EXTRA_NO = (
    "my travel agent booked the flight with my Lumen card",
    "the person at the store said my card was declined",
    "no need for a human, the chat fixed it",
    "I talked to a rep yesterday and they said the refund was done",
    "an agent already waived my fee last time, thanks for that",
    "who is the person named on the joint account?",
    "the real estate agent needs a copy of my statement",
    "can I add another person as an authorized user?",
    "I don't need to speak to anyone, just tell me the due date",
    "the representative from the merchant never called back",
    "your agent Jess was great yesterday",
    "is a human reviewing my dispute or is it automatic?",
    "the delivery person never showed up with my order",
    "I'm a real person, why does the app think I'm a bot?",
    "do you have a branch where I can deposit cash?",
    "what are your customer service hours?",
    "can I call you instead of chatting? just asking for later",
    "my dad is a person with power of attorney on my account, is that visible?",
)


def render_context(turns: list[dict]) -> str:
    return "\n".join(f"{t['role']}: {t['text']}" for t in turns)


def build_classifier_labels(conversations: list[dict]) -> list[dict]:
    rows = []
    for conv in conversations:
        turns = conv["turns"]
        for i, turn in enumerate(turns):
            if turn["role"] != "customer":
                continue
            # "yes" when the customer asks for a person, or when the next agent turn hands off because the
            # situation needs one (fraud, bereavement, legal) even though the customer did not say so.
            nxt = next((t for t in turns[i + 1 :] if t["role"] != "system"), None)
            needs_human = bool(nxt and nxt["role"] == "agent" and nxt["meta"]["handoff"])
            yes = turn["meta"].get("asks_for_human", False) or needs_human
            rows.append(
                {
                    "task": "handoff_request",
                    "text": turn["text"],
                    "context": render_context(turns[:i]),
                    "label": "yes" if yes else "no",
                }
            )
    for stem in EXTRA_YES_STEMS:
        for frame in EXTRA_YES_FRAMES:
            text = frame.format(s=stem)
            rows.append(
                {"task": "handoff_request", "text": text[0].upper() + text[1:], "context": "", "label": "yes"}
            )
    for text in EXTRA_NO:
        rows.append({"task": "handoff_request", "text": text, "context": "", "label": "no"})
    for conv in conversations:
        rows.append(
            {
                "task": "intent",
                "text": conv["turns"][0]["text"],
                "context": "",
                "label": conv["meta"]["intent"],
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------------------


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def compute_stats(conversations, v1, v2, missing, labels) -> dict:
    cases = list(iter_cases(conversations))
    intents = Counter(c["meta"]["intent"] for c in conversations)
    cases_by_intent = Counter(conv["meta"]["intent"] for _, conv, _ in cases)
    handoff_cases = sum(1 for _, conv, i in cases if conv["turns"][i]["meta"]["handoff"])
    handoff_convs = sum(1 for c in conversations if c["meta"]["handoff_expected"])
    turns = Counter(t["role"] for c in conversations for t in c["turns"])
    label_counts = Counter((r["task"], r["label"]) for r in labels)
    return {
        "conversations": len(conversations),
        "intents": {i: intents[i] for i in INTENTS},
        "cases_by_intent": {i: cases_by_intent[i] for i in INTENTS},
        "channels": dict(sorted(Counter(c["meta"]["channel"] for c in conversations).items())),
        "turns": {r: turns[r] for r in ("customer", "agent", "system")},
        "cases": len(cases),
        "handoff_cases": handoff_cases,
        "handoff_conversations": handoff_convs,
        "v1_replies": len(v1),
        "v1_missing": len(missing),
        "v2_replies": len(v2),
        "v1_handoffs": sum(r["handoff"] for r in v1),
        "v2_handoffs": sum(r["handoff"] for r in v2),
        "handoff_request_yes": label_counts[("handoff_request", "yes")],
        "handoff_request_no": label_counts[("handoff_request", "no")],
        "intent_examples": sum(n for (task, _), n in label_counts.items() if task == "intent"),
    }


def render_readme(stats: dict, seed: int) -> str:
    intent_rows = "\n".join(
        f"| `{i}` | {stats['intents'][i]} | {stats['cases_by_intent'][i]} |" for i in INTENTS
    )
    channels = ", ".join(f"{k}: {v}" for k, v in stats["channels"].items())
    turns = stats["turns"]
    n_extra_yes = len(EXTRA_YES_STEMS) * len(EXTRA_YES_FRAMES)
    return f"""# Demo dataset: Lumen Bank customer support

Synthetic, fictional customer-support conversations for a consumer lender / card issuer ("Lumen Bank"),
plus recorded replies from two versions of a support bot. Every name, amount, account number and
conversation here is made up. The data exists to demo and test the evaluation harness.

Produced by `python scripts/build_demo_dataset.py` (seed {seed}). The script is deterministic: re-running it
rewrites these files byte for byte. Do not edit the files by hand; change the script and regenerate.

## Files

| file | contents |
|---|---|
| `transcripts.jsonl` | one conversation per line, handled by human agents (the references) |
| `replies_bot_v1.jsonl` | bot v1 recorded reply for each case |
| `replies_bot_v2.jsonl` | bot v2 recorded reply for each case |
| `classifier_labels.jsonl` | labelled examples for the `handoff_request` and `intent` text classifiers |

### `transcripts.jsonl`

```json
{{"id": "demo-0001", "turns": [{{"role": "customer", "text": "...", "meta": {{}}}},
  {{"role": "system", "text": "...", "meta": {{}}}},
  {{"role": "agent", "text": "...", "meta": {{"handoff": false}}}}],
  "meta": {{"intent": "refund", "company": "lumen_bank", "channel": "chat", "language": "en",
  "handoff_expected": false}}}}
```

- `role` is `customer`, `agent` or `system` (tool/action results); conversations start with a customer turn.
- Agent turns carry `meta.handoff` (true when the agent transfers to a human specialist); customer turns
  that ask for a person carry `meta.asks_for_human: true`.
- `meta.handoff_expected` is true when the right move at some point in the conversation is a handoff.

**Cases.** Every agent turn is an evaluation case with id `"{{transcript_id}}:{{turn_index}}"`, where
`turn_index` is the 0-based index of that agent turn in `turns`. The human agent's text is the reference.

### `replies_bot_v1.jsonl`, `replies_bot_v2.jsonl`

```json
{{"case_id": "demo-0001:1", "text": "...", "handoff": false}}
```

- **v1** is a weak, templated bot: vague answers, sometimes the wrong intent, leaked placeholders
  (`{{customer_name}}`, `[ORDER_ID]`), forbidden promises ("I guarantee your fee will be refunded"), and it
  usually fails to hand off. {stats["v1_missing"]} cases have **no recorded reply** on purpose; the harness
  must record them as errors.
- **v2** mostly paraphrases the human answer and hands off correctly in most handoff cases, so it beats v1
  on overlap metrics (chrF, ROUGE-L, token F1) and handoff recall. **Planted regression:** on `late_fee`
  conversations v2 answers with unrelated or generic macros and is clearly worse than v1. A per-intent
  comparison should flag it.
- Both bots remain below the human agents on average.

### `classifier_labels.jsonl`

```json
{{"task": "handoff_request", "text": "...", "context": "customer: ...\\nagent: ...", "label": "yes"}}
{{"task": "intent", "text": "...", "context": "", "label": "refund"}}
```

- `handoff_request`: every customer turn with the conversation so far as `context`; `yes` when the turn asks
  for a human or needs one (the next agent turn hands off), else `no`. Plus {n_extra_yes} stand-alone
  "yes" utterances and {len(EXTRA_NO)} hard negatives ("my travel agent...") with empty context.
- `intent`: the first customer turn of each conversation, labelled with its intent.

## Counts

- Conversations: {stats["conversations"]} (channels: {channels}; language: en)
- Turns: {turns["customer"]} customer, {turns["agent"]} agent, {turns["system"]} system
- Cases (agent turns): {stats["cases"]}, of which handoff cases: {stats["handoff_cases"]}
- Conversations with a handoff expected: {stats["handoff_conversations"]}
- Recorded replies: v1 {stats["v1_replies"]} ({stats["v1_missing"]} missing), v2 {stats["v2_replies"]}
- Classifier labels: handoff_request {stats["handoff_request_yes"]} yes / {stats["handoff_request_no"]} no,
  intent {stats["intent_examples"]}

| intent | conversations | cases |
|---|---|---|
{intent_rows}
"""


def print_summary(stats: dict, out_dir: Path) -> None:
    print(f"Wrote demo dataset to {out_dir}")
    print(f"  conversations: {stats['conversations']}  channels: {stats['channels']}")
    print(f"  turns: {stats['turns']}")
    print(
        f"  cases: {stats['cases']}  handoff cases: {stats['handoff_cases']}  "
        f"handoff conversations: {stats['handoff_conversations']}"
    )
    print(
        f"  bot v1: {stats['v1_replies']} replies ({stats['v1_missing']} missing), "
        f"{stats['v1_handoffs']} handoffs"
    )
    print(f"  bot v2: {stats['v2_replies']} replies, {stats['v2_handoffs']} handoffs")
    print(
        f"  classifier: handoff_request yes={stats['handoff_request_yes']} "
        f"no={stats['handoff_request_no']}, "
        f"intent={stats['intent_examples']}"
    )
    print(f"  {'intent':<18}{'convs':>6}{'cases':>7}")
    for intent in INTENTS:
        print(f"  {intent:<18}{stats['intents'][intent]:>6}{stats['cases_by_intent'][intent]:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    conversations, slots_by_id = build_conversations(args.seed)
    v1, v2, missing = build_replies(conversations, slots_by_id, args.seed)
    labels = build_classifier_labels(conversations)
    stats = compute_stats(conversations, v1, v2, missing, labels)

    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out / "transcripts.jsonl", conversations)
    write_jsonl(args.out / "replies_bot_v1.jsonl", v1)
    write_jsonl(args.out / "replies_bot_v2.jsonl", v2)
    write_jsonl(args.out / "classifier_labels.jsonl", labels)
    (args.out / "README.md").write_text(render_readme(stats, args.seed), encoding="utf-8", newline="\n")
    print_summary(stats, args.out)


if __name__ == "__main__":
    main()
