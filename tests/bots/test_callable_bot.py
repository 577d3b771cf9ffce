import pytest

from evalkit.bots.python_callable import CallableBot
from evalkit.contract import Bot
from evalkit.errors import InvalidData
from evalkit.replay import Case
from evalkit.transcript import Turn

MODULE = __name__  # importable (tests/ is a package), so targets can point into this file


def shout(context):
    if context[-1]["text"] == "boom":
        raise RuntimeError("the backend is down")
    return context[-1]["text"].upper()


def escalate(context):
    return {"text": "Let me get a colleague.", "handoff": "refund" in context[-1]["text"]}


def shout_all(contexts):
    return [c[-1]["text"].upper() for c in contexts]


def explode_all(contexts):
    raise ValueError("batch rejected")


def one_short(contexts):
    return ["x"] * (len(contexts) - 1)


def wrong_type(context):
    return 42


def whisper(context):
    return context[-1]["text"].lower()


def case(text: str, index: int = 0) -> Case:
    return Case(id=f"t{index}:1", transcript_id=f"t{index}", turn_index=1,
                context=(Turn("customer", text),), reference=Turn("agent", "ok"))


def test_single_mode_calls_once_per_case_and_exceptions_become_error_records():
    bot = CallableBot(f"{MODULE}:shout")
    assert isinstance(bot, Bot)
    replies = bot.reply_batch([case("hello"), case("boom"), case("bye")])
    assert [r.text for r in replies] == ["HELLO", None, "BYE"]
    assert replies[1].error == "RuntimeError: the backend is down"
    assert replies[0].latency_s > 0


def test_dict_results_carry_the_handoff_flag():
    replies = CallableBot(f"{MODULE}:escalate").reply_batch([case("I want a refund"), case("hi")])
    assert [(r.text, r.handoff) for r in replies] == [("Let me get a colleague.", True),
                                                       ("Let me get a colleague.", False)]


def test_batch_mode_calls_once_per_batch():
    replies = CallableBot(f"{MODULE}:shout_all", batch=True).reply_batch([case("a"), case("b")])
    assert [r.text for r in replies] == ["A", "B"]


def test_batch_exception_or_wrong_length_fails_every_case():
    failed = CallableBot(f"{MODULE}:explode_all", batch=True).reply_batch([case("a"), case("b")])
    assert [r.error for r in failed] == ["ValueError: batch rejected"] * 2
    short = CallableBot(f"{MODULE}:one_short", batch=True).reply_batch([case("a"), case("b")])
    assert all(not r.ok and "returned 1 replies for 2 contexts" in r.error for r in short)


def test_a_result_of_the_wrong_type_is_an_error_record():
    (reply,) = CallableBot(f"{MODULE}:wrong_type").reply_batch([case("a")])
    assert reply.error is not None and "returned int" in reply.error


def test_import_is_lazy_and_bad_targets_fail_clearly():
    bot = CallableBot("no_such_module_anywhere:fn")  # constructing imports nothing
    with pytest.raises(InvalidData, match="no module 'no_such_module_anywhere'"):
        bot.reply_batch([case("a")])
    with pytest.raises(InvalidData, match=r"package\.module:function"):
        CallableBot("just_a_module").reply_batch([case("a")])
    with pytest.raises(InvalidData, match=f"nothing named 'no_such_function' in target '{MODULE}:no_such_function'"):
        CallableBot(f"{MODULE}:no_such_function").reply_batch([case("a")])
    with pytest.raises(InvalidData, match="not a callable"):
        CallableBot(f"{MODULE}:MODULE").reply_batch([case("a")])


def test_fingerprint_follows_the_target_and_its_source():
    assert CallableBot(f"{MODULE}:shout").fingerprint() == CallableBot(f"{MODULE}:shout").fingerprint()
    assert CallableBot(f"{MODULE}:shout").fingerprint() != CallableBot(f"{MODULE}:whisper").fingerprint()
    assert CallableBot(f"{MODULE}:shout").fingerprint() != CallableBot(f"{MODULE}:shout", batch=True).fingerprint()
    # Built-ins have no retrievable source: the target alone identifies them.
    assert CallableBot("builtins:len").fingerprint().startswith("callable-")


def test_fingerprint_changes_when_the_function_body_changes(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = tmp_path / "evalkit_test_edited_bot.py"
    fingerprints = []
    for body in ("return 'v1'", "return 'v2'"):
        module.write_text(f"def reply(context):\n    {body}\n")
        monkeypatch.delitem(__import__("sys").modules, "evalkit_test_edited_bot", raising=False)
        fingerprints.append(CallableBot("evalkit_test_edited_bot:reply").fingerprint())
    assert fingerprints[0] != fingerprints[1]
