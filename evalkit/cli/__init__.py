"""`evalkit <command> [hydra overrides]`: each command is a Hydra app in evalkit.cli, imported on demand."""

from __future__ import annotations

import logging
import os
import sys
from importlib import import_module

COMMANDS = {
    "run": ("evalkit.cli.run", "replay transcripts through bots, score, report, log to MLflow"),
    "compare": ("evalkit.cli.compare", "paired comparison of bot versions; a CI gate with gate=<config>"),
    "rescore": ("evalkit.cli.rescore", "score a run's recorded replies with other scorers; calls no bot"),
    "validate": ("evalkit.cli.validate", "measure how well scorers agree with human ratings"),
    "serve": ("evalkit.cli.serve", "serve a configured bot as an OpenAI-compatible endpoint on 127.0.0.1"),
    "train": ("evalkit.cli.train", "train a classifier recipe, cross-validate, register it in MLflow"),
    "dashboard": ("evalkit.cli.dashboard", "an offline HTML dashboard of bot versions across evaluations, from MLflow"),
    "sync": ("evalkit.cli.sync", "log a finished run directory to MLflow (after the store was down); idempotent"),
    "audit": ("evalkit.cli.audit", "choose the replies QA should read, show them, queue them in MLflow; audit pull"),
    "review": ("evalkit.cli.review", "review a queue in the terminal: verdicts go to MLflow as human feedback"),
}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print("usage: evalkit <command> [overrides...]   (each command takes Hydra overrides; --help for more)\n")
        for name, (_, summary) in COMMANDS.items():
            print(f"  {name:<10} {summary}")
        sys.exit(0 if args else 2)
    if args[0] not in COMMANDS:
        print(f"evalkit: unknown command {args[0]!r}; choose from {', '.join(COMMANDS)}", file=sys.stderr)
        sys.exit(2)
    # A log file the disk refuses (Hydra's run.log) would print a traceback per message; the writes that matter
    # name their file and exit 4 (evalkit.cli.errors).
    logging.raiseExceptions = False
    if not sys.stderr.isatty():
        # Piped and CI output gets no progress bars from any library's tqdm (model loading, GGUF de-quantising).
        os.environ.setdefault("TQDM_DISABLE", "1")
    module = import_module(COMMANDS[args[0]][0])
    rest = args[1:]
    if args[0] == "sync" and rest and "=" not in rest[0] and not rest[0].startswith("-"):
        rest = [f"run_dir={rest[0]}", *rest[1:]]  # `evalkit sync <run dir>`: the run directory needs no key
    if args[0] == "audit" and rest and rest[0] == "pull":
        rest = ["action=pull", *rest[1:]]  # `evalkit audit pull run=...`
    sys.argv = [f"evalkit {args[0]}", *rest]  # Hydra parses sys.argv itself
    module.main()
