"""`evalkit audit run=<run> [bot=...] [n=30] [reviewers=[ana,ben]]`: what QA should read first, shown, written and
queued in MLflow; `evalkit audit pull run=<run>`: the reviewers' verdicts against the scorers and each other."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf
from rich.console import Console

from evalkit.audit.selection import Criteria
from evalkit.audit.source import load_run
from evalkit.cli.config import CONFIG_DIR, build_object, output_dir
from evalkit.cli.errors import exit_on_bad_input
from evalkit.errors import InvalidData
from evalkit.tracking.runs import MlflowTracker


def rubric_thresholds(run: str) -> dict[str, float]:
    """`<rubric scorer>/<criterion>` -> the threshold the audited run's rubric gave it (its saved config)."""
    config = Path(run) / "config.yaml"
    if not config.exists():
        return {}
    found = {}
    scorers = OmegaConf.select(OmegaConf.load(config), "scorers", default=None) or {}
    for key, scorer in scorers.items():
        criteria = OmegaConf.select(scorer, "criteria", default=None) if isinstance(scorer, DictConfig) else None
        for name, spec in (criteria or {}).items():
            threshold = OmegaConf.select(spec, "threshold", default=None) if isinstance(spec, DictConfig) else None
            if isinstance(threshold, int | float) and not isinstance(threshold, bool):
                found[f"{OmegaConf.select(scorer, 'name', default=key)}/{name}"] = float(threshold)
    return found


def criteria(cfg: DictConfig) -> Criteria:
    if cfg.errors not in ("any", "only", "exclude"):
        raise InvalidData(f"errors: must be any, only or exclude, got {cfg.errors!r}")
    if not isinstance(cfg.n, int) or cfg.n < 1:
        raise InvalidData(f"n: must be a whole number of cases, at least 1, got {cfg.n!r}")
    return Criteria(bot=cfg.bot, n=cfg.n, slices=tuple(cfg.slices), scorers=tuple(cfg.rank_by), errors=cfg.errors,
                    where={str(k): str(v) for k, v in cfg.where.items()}, calibration=float(cfg.calibration),
                    seed=cfg.seed)


def thresholds(cfg: DictConfig) -> dict[str, float]:
    given = OmegaConf.to_container(cfg.thresholds, resolve=True)
    bad = [k for k, v in given.items() if isinstance(v, bool) or not isinstance(v, int | float)]
    if bad:
        raise InvalidData(f"thresholds.{bad[0]}: must be a number, got {given[bad[0]]!r}")
    return {**rubric_thresholds(str(cfg.run)), **{k: float(v) for k, v in given.items()}}


def tracked(tracker: Any) -> Any:
    """MLflow pointed at the tracker's store, or nothing for tracker=none."""
    return tracker.active() if isinstance(tracker, MlflowTracker) else nullcontext()


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="audit")
def run(cfg: DictConfig) -> None:
    console = Console()
    with exit_on_bad_input():
        tracker = build_object(cfg.tracker, "tracker")
        uri = tracker.resolved_uri() if isinstance(tracker, MlflowTracker) else ""
        if cfg.action == "pull":
            from evalkit.audit.pull import print_report, pull

            if not isinstance(tracker, MlflowTracker):
                raise InvalidData("tracker=none: verdicts live in MLflow; use the tracker of the audited run")
            out = output_dir(cfg)
            with tracked(tracker):
                report = pull(load_run(str(cfg.run), uri, thresholds(cfg)), out, cfg.stats.n_resamples,
                              cfg.stats.confidence, cfg.seed)
            print_report(report, console)
            console.print(f"written: {out}/agreement.md, agreement.json, verdicts.jsonl (evalkit train "
                          "recipe=qa_verdicts), rated.jsonl (evalkit validate)")
            return
        if cfg.action != "select":
            raise InvalidData(f"action: must be select or pull, got {cfg.action!r}")
        from evalkit.audit.case_view import render
        from evalkit.audit.run import audit

        audited = load_run(str(cfg.run), uri, thresholds(cfg))
        reviewers = [str(r) for r in cfg.reviewers]
        if reviewers and not audited.run_id:
            raise InvalidData(f"{cfg.run}: this run is not in MLflow (no mlflow_run_id); review queues need it: "
                              "`evalkit sync` it first, or leave out reviewers=")
        with tracked(tracker):
            done = audit(audited, criteria(cfg), output_dir(cfg), reviewers, list(cfg.audit.categories),
                         cfg.queue, tracked=isinstance(tracker, MlflowTracker))
    for view in done.views[:cfg.show]:
        console.print(render(view))
    console.print(f"{len(done.views)} cases chosen ({len(done.views) - min(cfg.show, len(done.views))} more in the "
                  f"files): {done.out_dir / 'audit.html'}, audit.csv, audit.jsonl")
    for reviewer, queue in done.queues.items():
        console.print(f"review queue for {reviewer}: {queue}   (evalkit review queue={queue} reviewer={reviewer})")


def main() -> None:
    run()
