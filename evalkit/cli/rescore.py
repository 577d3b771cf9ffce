"""`evalkit rescore run_dir=<run>`: the run's recorded replies through the configured scorers, into a new run."""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from evalkit.cli.config import CONFIG_DIR, build_rescore, output_dir
from evalkit.cli.errors import exit_on_bad_input, finish
from evalkit.errors import InvalidData
from evalkit.pipeline.rescore import rescore
from evalkit.report.console import print_summary


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="rescore")
def run(cfg: DictConfig) -> float:
    source = Path(cfg.run_dir).resolve()
    with exit_on_bad_input():
        if not (source / "config.yaml").exists():
            raise InvalidData(f"{source / 'config.yaml'}: not found; run_dir must be an evalkit run directory")
        evaluation = build_rescore(OmegaConf.load(source / "config.yaml"), cfg)
        outcome = rescore(evaluation, source, output_dir(cfg))
    print_summary(outcome.summary, outcome.run_dir, outcome.report_path, outcome.run_id,
                  tracking_failed=outcome.tracking_error is not None)
    finish(outcome, None)  # the replies were judged when they were made
    return outcome.summary.primary_metric()


def main() -> None:
    run()
