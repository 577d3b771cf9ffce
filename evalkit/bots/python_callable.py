"""A bot that is a Python function in some library: `CallableBot(target="mypkg.bot:reply")`.

Single mode calls `fn(context)` once per case; batch mode calls `fn(contexts)` once per batch. A context is a list
of `{"role": "customer"|"agent"|"system", "text": ...}`; the function returns the reply text, or
`{"text": ..., "handoff": bool}`. An exception is that case's (in batch mode: that batch's) error record.
"""

from __future__ import annotations

import hashlib
import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from importlib import import_module
from typing import Any

from evalkit.bots.fingerprint import fingerprint_of
from evalkit.contract import Bot
from evalkit.errors import InvalidData
from evalkit.replay import Case
from evalkit.reply import Reply

Context = list[dict[str, str]]


class CallableBot(Bot):
    def __init__(self, target: str, batch: bool = False, name: str = "callable"):
        self.target = target
        self.batch = batch
        self.name = name
        self._fn: Callable[..., Any] | None = None

    def fingerprint(self) -> str:
        try:
            source = inspect.getsource(self.function())
        except (OSError, TypeError):  # built in, compiled, or defined in a REPL: the target name must do
            source = ""
        return fingerprint_of("callable", target=self.target, batch=self.batch,
                              source=hashlib.sha256(source.encode()).hexdigest() if source else None)

    def function(self) -> Callable[..., Any]:
        if self._fn is None:
            module_name, _, attribute = self.target.partition(":")
            if not module_name or not attribute:
                raise InvalidData(f"bot {self.name!r}: target must look like 'package.module:function', "
                                  f"got {self.target!r}")
            try:
                found: Any = import_module(module_name)
            except ModuleNotFoundError as err:
                if err.name is None or not module_name.startswith(err.name):
                    raise  # the module exists but imports something missing: its bug, not a typo here
                raise InvalidData(f"bot {self.name!r}: no module {err.name!r} (target {self.target!r})") from None
            for part in attribute.split("."):
                try:
                    found = getattr(found, part)
                except AttributeError:
                    raise InvalidData(f"bot {self.name!r}: nothing named {part!r} in target {self.target!r}") from None
            if not callable(found):
                raise InvalidData(f"bot {self.name!r}: {self.target} is a {type(found).__name__}, not a callable")
            self._fn = found
        return self._fn

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        return self.reply_each(cases, lambda index, reply: None)

    def reply_each(self, cases: Sequence[Case], done: Callable[[int, Reply], None]) -> list[Reply]:
        fn = self.function()
        contexts = [[{"role": t.role, "text": t.text} for t in case.context] for case in cases]
        if self.batch:
            replies = self._call_batch(fn, contexts)
            for index, reply in enumerate(replies):
                done(index, reply)
            return replies
        replies = []
        for index, context in enumerate(contexts):  # one call per case: each reply is finished on its own
            replies.append(self._call_one(fn, context))
            done(index, replies[-1])
        return replies

    def _call_batch(self, fn: Callable[..., Any], contexts: list[Context]) -> list[Reply]:
        try:
            results = list(fn(contexts))
        except Exception as err:
            return [Reply.failed(_describe(err)) for _ in contexts]
        if len(results) != len(contexts):
            return [Reply.failed(f"{self.target} returned {len(results)} replies for {len(contexts)} contexts")
                    for _ in contexts]
        return [_as_reply(result) for result in results]

    @staticmethod
    def _call_one(fn: Callable[..., Any], context: Context) -> Reply:
        began = time.perf_counter()
        try:
            result = fn(context)
        except Exception as err:
            return Reply.failed(_describe(err), latency_s=time.perf_counter() - began)
        return replace(_as_reply(result), latency_s=time.perf_counter() - began)


def _as_reply(result: Any) -> Reply:
    if isinstance(result, str):
        return Reply(text=result)
    if isinstance(result, dict) and isinstance(result.get("text"), str):
        handoff = result.get("handoff")
        return Reply(text=result["text"], handoff=None if handoff is None else bool(handoff))
    return Reply.failed(f"the callable returned {type(result).__name__}, expected a str or {{'text': str, ...}}")


def _describe(err: Exception) -> str:
    return f"{type(err).__name__}: {err}"
