"""`evalkit compare`: paired comparison of bot versions, optionally as a CI gate.

Exit codes: 0 compared (and the gate, if any, passed); 1 the gate failed; 2 bad input.
"""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig, OmegaConf

from evalkit.cli.config import CONFIG_DIR, build_object, flatten, output_dir, stats_settings
from evalkit.cli.errors import EXIT_FAILED, exit_on_bad_input
from evalkit.compare.gate import GateRule
from evalkit.compare.paired import Settings
from evalkit.compare.sources import Side
from evalkit.pipeline.compare import Comparison, compare
from evalkit.report.comparison import print_comparison
from evalkit.tracking.runs import MlflowTracker


def build(cfg: DictConfig) -> Comparison:
    candidates = [cfg.candidates] if isinstance(cfg.candidates, str) else list(cfg.candidates)
    tracker = build_object(cfg.tracker, "tracker")
    rules = [GateRule(scorer=name, margin=float(rule.get("margin", 0.0)), slices=tuple(rule.get("slices") or ()))
             for name, rule in (cfg.get("gate") or {}).items()]
    return Comparison(
        baseline=Side.parse(cfg.baseline, cfg.run),
        candidates=[Side.parse(c, cfg.run) for c in candidates],
        settings=Settings(test=cfg.test, correction=cfg.correction, alpha=cfg.alpha, stats=stats_settings(cfg),
                          n_permutations=cfg.n_permutations),
        scorers=list(cfg.compared_scorers) if cfg.compared_scorers else None,
        slices=list(cfg.slices or []), primary=cfg.primary_scorer, top_regressions=cfg.top_regressions,
        higher_is_better=dict(OmegaConf.to_container(cfg.higher_is_better) or {}),
        gate=rules or None,
        # Runs named by id come from the configured store; with tracker=none, from where MLflow would look by default.
        store=tracker if isinstance(tracker, MlflowTracker) else MlflowTracker(),
        track=bool(cfg.track) and isinstance(tracker, MlflowTracker),
        params=flatten(OmegaConf.to_container(cfg, resolve=True)),
    )


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="compare")
def main_app(cfg: DictConfig) -> int:
    with exit_on_bad_input():
        comparison = build(cfg)
        result = compare(comparison, output_dir(cfg))
    print_comparison(result.outcome.comparisons, comparison.settings, result.violations or [])
    print(f"report:        {result.report_path}")
    print(f"MLflow run id: {result.run_id or '(not tracked)'}")
    if result.violations:
        print(f"gate failed: {len(result.violations)} violation(s)", file=sys.stderr)
        sys.exit(EXIT_FAILED)
    return 0


def main() -> None:
    main_app()
