"""`evalkit validate`: correlations of configured scorers with human ratings, with CIs and the raters' ceiling."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig, OmegaConf

from evalkit.bots.cache import cache_judges
from evalkit.cli.config import (
    CONFIG_DIR,
    build_all,
    build_object,
    flatten,
    load_rated_set,
    output_dir,
    reply_store,
    run_tags,
    stats_settings,
)
from evalkit.cli.errors import exit_if_untracked, exit_on_bad_input
from evalkit.contract import Scorer
from evalkit.pipeline.validate import Validation, validate
from evalkit.report.validity import print_validity
from evalkit.validity.combination import CombinationSpec


def build(cfg: DictConfig) -> Validation:
    spec = cfg.combination
    scorers = build_all(cfg.scorers, "scorers", Scorer)
    cache_judges(scorers, reply_store(cfg))  # judges rate a rated set once, however often it is validated
    return Validation(
        rated=load_rated_set(cfg.rated),
        scorers=scorers,
        tracker=build_object(cfg.tracker, "tracker"),
        aspects=list(cfg.aspects) if cfg.aspects else None,
        batch_size=cfg.batch_size,
        combination=CombinationSpec(spec.aspect, tuple(spec.alphas), spec.n_splits, spec.out)
        if cfg.fit_combination else None,
        stats=stats_settings(cfg),
        name=cfg.name,
        params=flatten(OmegaConf.to_container(cfg, resolve=True)),
        tags=run_tags(),
    )


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="validate")
def run(cfg: DictConfig) -> float:
    with exit_on_bad_input():
        validation = build(cfg)
        outcome = validate(validation, output_dir(cfg))
    print_validity(outcome.validity.rows, outcome.validity.agreement, judges=outcome.judges)
    print(f"run directory: {outcome.run_dir}")
    print(f"report:        {outcome.report_path}")
    print(f"MLflow run id: {outcome.run_id or ('(not logged)' if outcome.tracking_error else '(tracker=none)')}")
    exit_if_untracked(outcome.run_dir, outcome.tracking_error)
    best = [r.spearman.value for r in outcome.validity.rows if r.spearman.value == r.spearman.value]
    return max(best, default=float("nan"))


def main() -> None:
    run()
