"""`evalkit rescore run_dir=<run>`: the run's recorded replies through the configured scorers, into a new run."""

from __future__ import annotations

from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from evalkit.cli.errors import exit_on_bad_input
from evalkit.config import CONFIG_DIR, build_rescore
from evalkit.report.console import print_outcome
from evalkit.rescore import rescore
from evalkit.transcript import InvalidData


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="rescore")
def run(cfg: DictConfig) -> float:
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    source = Path(cfg.run_dir).resolve()
    with exit_on_bad_input():
        if not (source / "config.yaml").exists():
            raise InvalidData(f"{source / 'config.yaml'}: not found; run_dir must be an evalkit run directory")
        evaluation = build_rescore(OmegaConf.load(source / "config.yaml"), cfg)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
        outcome = rescore(evaluation, source, run_dir)
    print_outcome(outcome)
    return outcome.primary_metric(cfg.primary_scorer)


def main() -> None:
    run()
