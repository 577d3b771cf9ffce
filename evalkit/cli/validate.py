"""`evalkit validate`: correlations of configured scorers with human ratings, with CIs and the raters' ceiling."""

from __future__ import annotations

from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from evalkit.bots.cache import cache_judges
from evalkit.cli.errors import exit_on_bad_input
from evalkit.config import CONFIG_DIR, flatten, reply_store, run_tags
from evalkit.rated import load_rated
from evalkit.report.validity import print_validity
from evalkit.validation import CombinationSpec, Validation, validate


def build(cfg: DictConfig) -> Validation:
    rated = load_rated(cfg.rated.path, cfg.rated.format, cfg.rated.name, cfg.rated.usr_reference,
                       cfg.rated.knowledge)
    spec = cfg.combination
    scorers = [instantiate(node) for node in (cfg.scorers or {}).values()]
    cache_judges(scorers, reply_store(cfg))  # judges rate a rated set once, however often it is validated
    return Validation(
        rated=rated,
        scorers=scorers,
        tracker=instantiate(cfg.tracker),
        aspects=list(cfg.aspects) if cfg.aspects else None,
        batch_size=cfg.batch_size,
        combination=CombinationSpec(spec.aspect, tuple(spec.alphas), spec.n_splits, spec.out)
        if cfg.fit_combination else None,
        confidence=cfg.stats.confidence,
        n_resamples=cfg.stats.n_resamples,
        seed=cfg.seed,
        name=cfg.name,
        params=flatten(OmegaConf.to_container(cfg, resolve=True)),
        tags=run_tags(),
    )


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="validate")
def run(cfg: DictConfig) -> float:
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    with exit_on_bad_input():
        validation = build(cfg)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
        outcome = validate(validation, run_dir)
    print_validity(outcome.rows, outcome.agreement)
    print(f"run directory: {outcome.run_dir}")
    print(f"report:        {outcome.report_path}")
    print(f"MLflow run id: {outcome.run_id or '(tracker=none)'}")
    best = [r for r in outcome.rows if r.spearman.value == r.spearman.value]
    return max((r.spearman.value for r in best), default=float("nan"))


def main() -> None:
    run()
