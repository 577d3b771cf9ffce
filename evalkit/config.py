"""The config edge: turns Hydra's composed config into built objects. The only module that reads a DictConfig."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

import evalkit
from evalkit.bots.cache import ReplyStore
from evalkit.evaluate import Evaluation
from evalkit.scoring_pool import resolve_workers
from evalkit.transcript import InvalidData

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = PROJECT_ROOT / "configs"

if not OmegaConf.has_resolver("project_root"):
    # Lets configs name files in the project (the demo set, the runs folder) wherever the command is run from.
    OmegaConf.register_new_resolver("project_root", lambda: str(PROJECT_ROOT))
if not OmegaConf.has_resolver("resume_or"):
    # hydra.run.dir: the directory named by `resume=<run dir>`, else a fresh timestamped one.
    OmegaConf.register_new_resolver("resume_or", lambda resume, fresh: str(Path(resume).resolve()) if resume
                                    else fresh)


def build_object(node: DictConfig) -> Any:
    """instantiate(node), except that bad user input raised while building (a rubric with a typo) surfaces as
    itself rather than wrapped in Hydra's InstantiationException, so the CLI reports it in one line."""
    try:
        return instantiate(node)
    except InstantiationException as err:
        if isinstance(err.__cause__, InvalidData | FileNotFoundError):
            raise err.__cause__ from None
        raise


def build(cfg: DictConfig) -> Evaluation:
    return Evaluation(
        dataset=build_object(cfg.dataset),
        bots=[build_object(node) for node in (cfg.bots or {}).values()],
        scorers=[build_object(node) for node in (cfg.scorers or {}).values()],
        tracker=build_object(cfg.tracker),
        policy=cfg.replay.policy,
        max_context_turns=cfg.replay.max_context_turns,
        slices=tuple(cfg.slices),
        batch_size=cfg.batch_size,
        confidence=cfg.stats.confidence,
        n_resamples=cfg.stats.n_resamples,
        seed=cfg.seed,
        name=cfg.name,
        params=flatten(OmegaConf.to_container(cfg, resolve=True)),
        tags=run_tags(),
        cache=reply_store(cfg),
        shard=OmegaConf.select(cfg, "shard", default=None),
        scoring_workers=resolve_workers(OmegaConf.select(cfg, "scoring.workers", default=None)),
        merge=_paths(OmegaConf.select(cfg, "merge", default=None)),
    )


def _paths(value: Any) -> tuple[str, ...]:
    """merge=<dir> or merge=[<dir>, ...]"""
    if not value:
        return ()
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)


def build_rescore(run_cfg: DictConfig, cfg: DictConfig) -> Evaluation:
    """What `evalkit rescore` needs: the old run's dataset, replay and statistics settings, the new scorers.

    No bot is built: the replies come from the run's results log.
    """
    dataset = run_cfg.dataset
    if cfg.dataset_path:
        dataset = OmegaConf.merge(dataset, {"path": cfg.dataset_path})
    return Evaluation(
        dataset=instantiate(dataset),
        bots=(),
        scorers=[build_object(node) for node in (cfg.scorers or {}).values()],
        tracker=instantiate(cfg.tracker),
        policy=run_cfg.replay.policy,
        max_context_turns=run_cfg.replay.max_context_turns,
        slices=tuple(run_cfg.slices),
        batch_size=cfg.batch_size,
        confidence=run_cfg.stats.confidence,
        n_resamples=run_cfg.stats.n_resamples,
        seed=run_cfg.seed,
        name=cfg.name or f"{run_cfg.name} (rescored)",
        params=flatten({**OmegaConf.to_container(cfg, resolve=True),
                        "dataset": OmegaConf.to_container(dataset, resolve=True)}),
        tags={**run_tags(), "evalkit.rescored_from": str(cfg.run_dir)},
        cache=reply_store(run_cfg),  # the run's cache: its judges' answers are reused
    )


def reply_store(cfg: DictConfig) -> ReplyStore | None:
    return ReplyStore(cfg.cache.path) if OmegaConf.select(cfg, "cache.enabled", default=False) else None


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}: MLflow params are flat."""
    if isinstance(tree, Mapping):
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): tree}


def run_tags() -> dict[str, str]:
    tags = {"evalkit.version": evalkit.__version__}
    sha = git_sha()
    if sha:
        tags["mlflow.source.git.commit"] = sha
        tags["evalkit.git_sha"] = sha
    return tags


def git_sha() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                             timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
