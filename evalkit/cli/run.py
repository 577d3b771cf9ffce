"""`evalkit run`: one evaluation (or a Hydra multirun of them)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from evalkit.cli.config import CONFIG_DIR, build, flatten, output_dir
from evalkit.cli.errors import exit_on_bad_input, finish
from evalkit.errors import InvalidData
from evalkit.pipeline.evaluate import evaluate
from evalkit.report.console import print_summary


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="run")
def run(cfg: DictConfig) -> float:
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    with exit_on_bad_input(resumable=run_dir):
        check_resumable(run_dir, cfg)
        evaluation = build(cfg)
        if hydra_cfg.mode == RunMode.MULTIRUN:
            # Each job's run says which sweep it belongs to and what it changed, so the runs can be found together.
            evaluation = replace(evaluation, tags={
                **evaluation.tags, "evalkit.sweep_dir": str(hydra_cfg.sweep.dir),
                "evalkit.job_num": str(OmegaConf.select(hydra_cfg, "job.num", default="")),
                "evalkit.overrides": " ".join(hydra_cfg.overrides.task)[:5000]})
        outcome = evaluate(evaluation, output_dir(cfg))
    print_summary(outcome.summary, outcome.run_dir, outcome.report_path, outcome.run_id,
                  tracking_failed=outcome.tracking_error is not None)
    finish(outcome, cfg.fail_on_error_rate)
    return outcome.summary.primary_metric()


# What may change between an interrupted run and its continuation without mixing two experiments in one log.
_FREE_ON_RESUME = ("resume", "batch_size", "tracker", "cache", "name", "fail_on_error_rate", "validity")


def check_resumable(run_dir: Path, cfg: DictConfig) -> None:
    """A run directory that already holds results is continued only with the config that produced them."""
    saved = run_dir / "config.yaml"
    if not (run_dir / "results.jsonl").exists() or not saved.exists():
        return
    old, new = (flatten({k: v for k, v in OmegaConf.to_container(c, resolve=True).items() if k not in _FREE_ON_RESUME})
                for c in (OmegaConf.load(saved), cfg))
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    if changed:
        raise InvalidData(f"{saved}: the run in this directory used another config (differs at {', '.join(changed[:5])}"
                          f"{', ...' if len(changed) > 5 else ''}); resume it with the same config or use a new run "
                          "directory")


def main() -> None:
    run()
