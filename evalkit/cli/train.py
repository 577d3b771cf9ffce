"""`evalkit train`: fit a recipe (a classifier, or the combined score of several scorers), report cross-validated
metrics, log it to MLflow, register a version."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from evalkit.bots.cache import cache_judges
from evalkit.classifiers.data import LabelledData
from evalkit.classifiers.evaluation import cross_validate
from evalkit.cli.config import (
    CONFIG_DIR,
    build_all,
    build_object,
    flatten,
    load_rated_set,
    reply_store,
    stats_settings,
)
from evalkit.cli.errors import exit_on_bad_input
from evalkit.contract import Scorer
from evalkit.errors import InvalidData
from evalkit.validity.combination import CombinationSpec
from evalkit.validity.validate import combine_rated


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")
def train(cfg: DictConfig) -> float:
    if OmegaConf.select(cfg, "recipe.kind", default="classifier") == "combination":
        return train_combination(cfg)
    with exit_on_bad_input():
        data: LabelledData = build_object(cfg.recipe.data, "recipe.data")
        make_model = build_object(cfg.classifier, "classifier")
        print(f"{cfg.recipe.name}: {len(data)} examples from {data.source}, labels {data.label_counts()}")
        report = cross_validate(make_model, data, cfg.recipe.folds, cfg.seed, cfg.recipe.positive)
        print(f"{report.folds}-fold cross-validation: "
              + ", ".join(f"{k}={v:.3f}" for k, v in report.metrics.items()))
        if not cfg.register:
            return report.metrics["macro_f1"]
        from evalkit.classifiers.registry import log_and_register

        model = make_model().fit(data.frame(), np.asarray(data.labels))
        registered = log_and_register(
            model, cfg.recipe.name, **registry(cfg),
            params={**flatten(OmegaConf.to_container(cfg, resolve=True)), "n_examples": len(data)},
            metrics={f"cv/{k}": v for k, v in report.metrics.items()},
            documents={"cv_report.json": asdict(report), "labels.json": data.label_counts()},
        )
    print(f"registered {registered.uri} (run {registered.run_id}) in {registered.tracking_uri}")
    return report.metrics["macro_f1"]


def registry(cfg: DictConfig) -> dict[str, str | None]:
    """Where models are registered: the tracker's store, as `evalkit run` reads them; the training experiment."""
    return {"tracking_uri": OmegaConf.select(cfg, "tracker.tracking_uri", default=None),
            "store_dir": OmegaConf.select(cfg, "tracker.store_dir", default=None),
            "experiment": cfg.model_experiment}


def train_combination(cfg: DictConfig) -> float:
    """Weights over the configured scorers, fitted to a rated set's mean human rating (cross-validated by item)."""
    recipe = cfg.recipe
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    with exit_on_bad_input():
        rated = load_rated_set(recipe.rated)
        scorers = build_all(cfg.scorers, "scorers", Scorer)
        if not scorers:
            raise InvalidData("recipe=combined needs scorers to combine: scorers=[chrf,token_f1,...]")
        cache_judges(scorers, reply_store(cfg))  # judges rate the set once across retrainings
        learned = combine_rated(rated, scorers, CombinationSpec(recipe.aspect, tuple(recipe.alphas), recipe.folds),
                                recipe.batch_size, stats_settings(cfg))
    model, row = learned.combination, learned.target_row
    print(f"{recipe.name}: {len(rated.rows)} rated replies ({len(rated.items)} items) from {rated.name}; "
          f"predicts {model.target}; weights " + ", ".join(f"{f}={w:+.3f}" for f, w in zip(model.features,
                                                                                          model.weights, strict=True)))
    print(f"cross-validated ({recipe.folds} folds by item) Spearman {row.spearman.value:.3f} "
          f"[{row.spearman.ci_low:.3f}, {row.spearman.ci_high:.3f}], Pearson {row.pearson.value:.3f}")
    path = Path(recipe.out) if recipe.out else run_dir / "combination.json"
    model.save(path)
    print(f"model file: {path}")
    if cfg.register:
        from evalkit.classifiers.combination_registry import register_combination

        registered = register_combination(
            path, recipe.name, **registry(cfg),
            params={**flatten({k: v for k, v in OmegaConf.to_container(cfg, resolve=True).items()
                               if k != "classifier"}),  # the root default; a combination uses none
                    "n_rated": len(rated.rows)},
            metrics={f"cv/{r.aspect}/{method}": getattr(r, method).value for r in learned.rows
                     for method in ("spearman", "kendall", "pearson")},
            documents={"validity.json": [r.as_dict() for r in learned.rows]},
            tags={"evalkit.rated_digest": rated.digest},
        )
        print(f"registered {registered.uri} (run {registered.run_id}) in {registered.tracking_uri}")
    return row.spearman.value


def main() -> None:
    train()
