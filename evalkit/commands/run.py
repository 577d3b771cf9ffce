"""`evalkit run`: one evaluation (or a Hydra multirun of them)."""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from evalkit.config import CONFIG_DIR, build
from evalkit.evaluate import evaluate
from evalkit.report.console import print_outcome
from evalkit.transcript import InvalidData


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="run")
def run(cfg: DictConfig) -> float:
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        evaluation = build(cfg)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
        outcome = evaluate(evaluation, run_dir)
    except (InvalidData, FileNotFoundError) as err:
        # Bad input is the user's to fix: one line naming file, record and field, no traceback.
        print(f"evalkit: error: {err}", file=sys.stderr)
        sys.exit(2)
    print_outcome(outcome)
    return outcome.primary_metric(cfg.primary_scorer)


def main() -> None:
    run()
