"""The `llm` rubric criterion: an LLM rates the reply on a scale, and the criterion passes at `threshold` or above.

    - name: empathy
      weight: 1
      judge: llm
      question: Does the reply acknowledge the customer's situation and feelings?
      scale: [1, 5]
      threshold: 4
      backend: {_target_: evalkit.bots.http.OpenAIChatBot, base_url: ..., model: ...}   # any bot config

The rating comes from evalkit.judges.criterion.CriterionJudge (schema-checked JSON, bounded re-asks). A judge error
is an undecided verdict carrying the error and the raw output, never a silent fail: the rubric leaves that criterion
out of the weighted score and says so in the rationale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from typing import Any

from evalkit.bots.base import Bot, Reply
from evalkit.judges.asking import JudgeUsage
from evalkit.judges.criterion import CriterionJudge
from evalkit.replay import Case
from evalkit.rubric import Verdict


def build_backend(spec: Mapping[str, Any]) -> Bot:
    """A bot from its config mapping, as Hydra's instantiate would build it (`_convert_: all` semantics).

    Rubric files are plain YAML read outside the config edge, so the few lines instantiate needs are here; the same
    rule as for configs holds: the `_target_` must be under `evalkit.`.
    """
    target = spec.get("_target_")
    if not isinstance(target, str) or not target.startswith("evalkit."):
        raise ValueError(f"`backend` needs a `_target_` under evalkit. (a bot config), got {target!r}")
    module, _, attribute = target.rpartition(".")
    try:
        factory = getattr(import_module(module), attribute)
    except (ImportError, AttributeError):
        raise ValueError(f"backend `_target_` {target!r} cannot be imported") from None
    kwargs = {key: build_backend(value) if isinstance(value, Mapping) and "_target_" in value else value
              for key, value in spec.items() if not key.startswith("_")}
    return factory(**kwargs)  # a misspelt parameter is a TypeError: the rubric names the file and criterion


def _scale(scale: Any) -> tuple[int, int]:
    if (not isinstance(scale, list | tuple) or len(scale) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in scale) or scale[0] >= scale[1]):
        raise ValueError(f"`scale` must be two integers [low, high] with low < high, got {scale!r}")
    return scale[0], scale[1]


class LlmJudge:
    """Pass when the judge's rating is at least `threshold`; `backend` is a bot config (or a built Bot)."""

    def __init__(self, backend: Mapping[str, Any] | Bot | None = None, question: str | None = None,
                 scale: Sequence[int] = (1, 5), threshold: int | None = None, with_reference: bool = False,
                 max_attempts: int = 3):
        if backend is None:
            raise ValueError("an llm criterion needs `backend`: a bot config with a `_target_`")
        if not isinstance(question, str) or not question.strip():
            raise ValueError("an llm criterion needs `question`: what the judge rates")
        low, high = _scale(scale)
        if isinstance(threshold, bool) or not isinstance(threshold, int) or not low <= threshold <= high:
            raise ValueError(f"an llm criterion needs an integer `threshold` within {low}..{high}, got {threshold!r}")
        self.threshold = threshold
        bot = build_backend(backend) if isinstance(backend, Mapping) else backend
        self.rater = CriterionJudge(bot, question.strip(), low=low, high=high, with_reference=with_reference,
                                    max_attempts=max_attempts)

    @property
    def usage(self) -> JudgeUsage:
        return self.rater.usage

    def use_cache(self, wrap: Callable[[Bot], Bot]) -> None:
        self.rater.backend = wrap(self.rater.backend)

    def judge(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Verdict]:
        out = []
        for score in self.rater.judge(cases, replies):
            if score.value is None:
                out.append(Verdict(None, score.rationale))  # "judge error: ...; raw: '...'"
            elif score.value >= self.threshold:
                out.append(Verdict(True))
            else:
                out.append(Verdict(False, f"rated {score.label} < {self.threshold}: {score.rationale}"))
        return out
