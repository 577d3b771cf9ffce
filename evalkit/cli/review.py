"""`evalkit review queue=<name> reviewer=<who>`: each pending case of the queue shown as `evalkit audit` shows it;
the reviewer's verdict, failure categories and note go to MLflow as human Feedback on the case's trace."""

from __future__ import annotations

from collections.abc import Sequence

import hydra
from omegaconf import DictConfig
from rich.console import Console

from evalkit.audit.queues import VERDICTS
from evalkit.cli.config import CONFIG_DIR, build_object
from evalkit.cli.errors import exit_on_bad_input
from evalkit.errors import InvalidData
from evalkit.tracking.runs import MlflowTracker

_KEYS = {"g": "good", "a": "acceptable", "b": "bad"}


def ask(console: Console, question: str) -> str | None:
    """One answer from the reviewer; None when the input has ended."""
    try:
        return console.input(f"[bold]{question}[/bold] ").strip()
    except EOFError:
        return None


def ask_verdict(console: Console) -> str | None:
    while True:
        answer = ask(console, "verdict: [g]ood, [a]cceptable, [b]ad; [s]kip, [q]uit?")
        if answer is None or answer.lower() in ("q", "quit"):
            return None
        if answer.lower() in ("s", "skip"):
            return "skip"
        verdict = _KEYS.get(answer.lower(), answer.lower())
        if verdict in VERDICTS:
            return verdict
        console.print(f"[red]{answer!r} is not a verdict[/red]: answer g, a, b, s or q")


def ask_categories(console: Console, categories: Sequence[str]) -> list[str] | None:
    console.print("  ".join(f"{i}: {name}" for i, name in enumerate(categories, 1)))
    while True:
        answer = ask(console, "failure categories (numbers, comma-separated; empty: none)?")
        if answer is None:
            return None
        try:
            chosen = [int(part) for part in answer.replace(" ", "").split(",") if part]
        except ValueError:
            chosen = [0]
        if all(1 <= i <= len(categories) for i in chosen):
            return [categories[i - 1] for i in chosen]
        console.print(f"[red]{answer!r}[/red]: give numbers from 1 to {len(categories)}, separated by commas")


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="review")
def run(cfg: DictConfig) -> None:
    from evalkit.audit.case_view import render, view_of_trace
    from evalkit.audit.queues import queue_items, record_verdict

    console = Console()
    categories = [str(c) for c in cfg.audit.categories]
    reviewer, name = str(cfg.reviewer), str(cfg.queue)
    with exit_on_bad_input():
        tracker = build_object(cfg.tracker, "tracker")
        if not isinstance(tracker, MlflowTracker):
            raise InvalidData("tracker=none: review queues live in MLflow; use the tracker of the audited run")
        with tracker.active():
            from mlflow.exceptions import MlflowException

            try:
                queue, items = queue_items(name, tracker.experiment_id())
            except MlflowException:
                raise InvalidData(f"queue: no review queue {name!r} in experiment {tracker.experiment!r} at "
                                  f"{tracker.resolved_uri()}") from None
            if queue.users and reviewer not in queue.users:
                raise InvalidData(f"reviewer: {reviewer!r} is not assigned to queue {name!r} (it is for "
                                  f"{', '.join(queue.users)})")
            done = 0
            for trace in items:
                console.print(render(view_of_trace(trace)))
                verdict = ask_verdict(console)
                if verdict is None:
                    break
                if verdict == "skip":
                    continue
                chosen = ask_categories(console, categories) if verdict != "good" else []
                if chosen is None:
                    break
                note = ask(console, "note (optional)?")
                record_verdict(trace.info.trace_id, reviewer, verdict, chosen, note or None, queue.queue_id)
                done += 1
    console.print(f"{done} verdicts by {reviewer} written to MLflow; {len(items) - done} cases of {name} left")


def main() -> None:
    run()
