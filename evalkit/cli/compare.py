"""`evalkit compare`: paired comparison of bot versions, optionally as a CI gate.

Exit codes: 0 compared (and the gate, if any, passed); 1 the gate failed; 2 bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from evalkit.cli.errors import exit_on_bad_input
from evalkit.comparison.gate import EXIT_GATE_FAILED, GateRule, check_gate, unknown_scorers
from evalkit.comparison.mlflow_fetch import fetch_run
from evalkit.comparison.paired import Settings
from evalkit.comparison.session import compare_sides
from evalkit.comparison.sources import Side, load_sources
from evalkit.comparison.tracking import log_comparison
from evalkit.config import CONFIG_DIR, PROJECT_ROOT, flatten
from evalkit.report.comparison import print_comparison, render_comparison
from evalkit.tracking import MlflowTracker
from evalkit.transcript import InvalidData


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="compare")
def compare(cfg: DictConfig) -> int:
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    with exit_on_bad_input():
        code = _compare(cfg, out_dir)
    if code:
        sys.exit(code)
    return code


def _compare(cfg: DictConfig, out_dir: Path) -> int:
    settings = Settings(test=cfg.test, correction=cfg.correction, alpha=cfg.alpha, confidence=cfg.confidence,
                        n_resamples=cfg.n_resamples, n_permutations=cfg.n_permutations, seed=cfg.seed)
    candidates = [cfg.candidates] if isinstance(cfg.candidates, str) else list(cfg.candidates)
    baseline = Side.parse(cfg.baseline, cfg.run)
    sides = [Side.parse(c, cfg.run) for c in candidates]
    tracker = instantiate(cfg.tracker)
    # Runs named by id come from the configured store; with tracker=none, from where MLflow would look by default.
    store = tracker if isinstance(tracker, MlflowTracker) else MlflowTracker(store_dir=str(PROJECT_ROOT / "runs"))
    loaded = load_sources([s.source for s in (baseline, *sides)],
                          lambda run_id: fetch_run(run_id, store.resolved_uri(), out_dir / "fetched" / run_id))
    outcome = compare_sides(
        baseline, sides, loaded, settings, scorers=list(cfg.compared_scorers) if cfg.compared_scorers else None,
        slice_keys=list(cfg.slices or []), primary=cfg.primary_scorer, top_regressions=cfg.top_regressions,
        higher_is_better={k: bool(v) for k, v in (cfg.higher_is_better or {}).items()},
    )
    rules = [GateRule(scorer=name, margin=float(rule.get("margin", 0.0)), slices=tuple(rule.get("slices") or ()))
             for name, rule in (cfg.get("gate") or {}).items()]
    missing = unknown_scorers(rules, list(outcome.scorers))
    if missing:
        raise InvalidData(f"gate: scorer(s) {', '.join(missing)} are not in the comparison "
                          f"(compared: {', '.join(outcome.scorers)})")
    violations = check_gate(outcome.comparisons, rules, settings.alpha) if rules else None

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    report = out_dir / "comparison.md"
    report.write_text(render_comparison(outcome.comparisons, settings, violations, dict(outcome.sources)))
    data = out_dir / "comparison.json"
    data.write_text(json.dumps({
        "sources": outcome.sources, "run_ids": outcome.run_ids, "fingerprints": outcome.fingerprints,
        "scorers": {k: {"higher_is_better": v} for k, v in outcome.scorers.items()},
        "gate": None if violations is None else {"passed": not violations,
                                                 "violations": [v.describe() for v in violations]},
        "comparisons": [{"candidate": c.candidate, "baseline": c.baseline, "n_shared": c.n_shared,
                         "rows": [r.as_dict() for r in c.rows],
                         "regressions": [vars(r) | {"context": list(r.context), "slices": dict(r.slices)}
                                         for r in c.regressions]} for c in outcome.comparisons],
    }, indent=2, allow_nan=True))
    print_comparison(outcome.comparisons, settings, violations or [])
    run_id = None
    if cfg.track and isinstance(tracker, MlflowTracker):
        params = flatten(OmegaConf.to_container(cfg, resolve=True))
        run_id = log_comparison(tracker, outcome.comparisons, outcome.run_ids, params, [report, data],
                                None if violations is None else not violations)
    print(f"report:        {report}")
    print(f"MLflow run id: {run_id or '(not tracked)'}")
    if violations:
        print(f"gate failed: {len(violations)} violation(s)", file=sys.stderr)
        return EXIT_GATE_FAILED
    return 0


def main() -> None:
    compare()
