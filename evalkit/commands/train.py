"""`evalkit train`: fit a classifier recipe, report cross-validated metrics, log it to MLflow, register a version."""

from __future__ import annotations

import sys
from dataclasses import asdict

import hydra
import numpy as np
from omegaconf import DictConfig, OmegaConf

from evalkit.classifiers.data import LabelledData
from evalkit.classifiers.evaluation import cross_validate
from evalkit.config import CONFIG_DIR, build_object, flatten
from evalkit.transcript import InvalidData


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")
def train(cfg: DictConfig) -> float:
    try:
        data: LabelledData = build_object(cfg.recipe.data)
        make_model = build_object(cfg.classifier)
        print(f"{cfg.recipe.name}: {len(data)} examples from {data.source}, labels {data.label_counts()}")
        report = cross_validate(make_model, data, cfg.recipe.folds, cfg.seed, cfg.recipe.positive)
        print(f"{report.folds}-fold cross-validation: "
              + ", ".join(f"{k}={v:.3f}" for k, v in report.metrics.items()))
        if not cfg.register:
            return report.metrics["macro_f1"]
        from evalkit.classifiers.registry import log_and_register

        model = make_model().fit(data.frame(), np.asarray(data.labels))
        registered = log_and_register(
            model, cfg.recipe.name, tracking_uri=cfg.registry.tracking_uri, experiment=cfg.registry.experiment,
            store_dir=cfg.registry.store_dir,
            params={**flatten(OmegaConf.to_container(cfg, resolve=True)), "n_examples": len(data)},
            metrics={f"cv/{k}": v for k, v in report.metrics.items()},
            documents={"cv_report.json": asdict(report), "labels.json": data.label_counts()},
        )
    except (InvalidData, FileNotFoundError) as err:
        print(f"evalkit: error: {err}", file=sys.stderr)
        sys.exit(2)
    print(f"registered {registered.uri} (run {registered.run_id}) in {registered.tracking_uri}")
    return report.metrics["macro_f1"]


def main() -> None:
    train()
