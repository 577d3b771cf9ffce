"""The config edge: turns Hydra's composed config into built objects. Hydra and OmegaConf stop here: everything
below receives plain values and built objects, never a DictConfig."""

from __future__ import annotations

import copy
import inspect
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import MissingMandatoryValue

import evalkit
from evalkit.bots.cache import ReplyStore
from evalkit.contract import Bot, Scorer
from evalkit.errors import InvalidData
from evalkit.files import write_text
from evalkit.pipeline.evaluate import Evaluation
from evalkit.redaction.redactor import Redactor
from evalkit.reply import TRUNCATED, Truncated
from evalkit.summaries.run import StatsSettings
from evalkit.summaries.trust import ScorerValidity, measured_validity
from evalkit.tracking.store import PROJECT_ROOT
from evalkit.validity.rated.model import RatedSet

CONFIG_DIR = PROJECT_ROOT / "configs"

if not OmegaConf.has_resolver("project_root"):
    # Lets configs name files in the project (the demo set, the runs folder) wherever the command is run from.
    OmegaConf.register_new_resolver("project_root", lambda: str(PROJECT_ROOT))
if not OmegaConf.has_resolver("resume_or"):
    # hydra.run.dir: the directory named by `resume=<run dir>`, else a fresh timestamped one.
    OmegaConf.register_new_resolver("resume_or", lambda resume, fresh: str(Path(resume).resolve()) if resume
                                    else fresh)

_FULL_KEY = re.compile(r"full_key: (\S+)")
_UNKNOWN_TARGET = re.compile(r"Error locating target '([^']+)'")
_SIGNATURE = re.compile(r"unexpected keyword argument|missing \d+ required (?:positional|keyword-only) argument")


def build_object(node: DictConfig, where: str = "") -> Any:
    """instantiate(node) into plain Python (no DictConfig below the edge). Bad user input raised while building
    (a rubric's bad regex, a misspelt parameter, an unknown `_target_`) becomes one InvalidData line naming the
    config key, instead of Hydra's multi-line InstantiationException."""
    # Before instantiate, which resolves interpolations in place: a key left at `???` may be reached through a copy
    # (a judge's `backend: ${judge}`), and the message should name the original.
    unset = _unset(node._get_root())
    try:
        return instantiate(node, _convert_="all")
    except MissingMandatoryValue as err:
        name = err.full_key.rsplit(".", 1)[-1]
        unset = [err.full_key] if err.full_key in unset \
            else [k for k in unset if k.rsplit(".", 1)[-1] == name] or [err.full_key]
        raise InvalidData(f"{err.full_key}: no value given (`???` in the config); set {' and '.join(unset)}, e.g. "
                          f"{unset[0]}=...") from None
    except InstantiationException as err:
        key = _FULL_KEY.search(str(err))
        at = key.group(1) if key else where
        cause = err.__cause__
        if isinstance(cause, InvalidData):
            raise InvalidData(f"{at}: {cause}" if at and at not in str(cause) else str(cause)) from None
        unknown = _UNKNOWN_TARGET.match(str(err))
        if unknown:
            raise InvalidData(f"{at}: no such `_target_` {unknown.group(1)!r}") from None
        if cause is None or (isinstance(cause, TypeError) and _SIGNATURE.search(str(cause))):
            # A parameter the class does not take, or a required one missing: the config's fault, not the code's.
            first = str(cause or err).strip().splitlines()[0]
            raise InvalidData(f"{at}: {first}" if at else first) from None
        raise


def _unset(root: Any) -> list[str]:
    """The mandatory keys left at `???`, leaving out copies made by interpolation."""
    found = []
    for key in sorted(OmegaConf.missing_keys(root)):
        parts, node, copied = key.split("."), root, False
        for part in parts[:-1]:
            copied = copied or OmegaConf.is_interpolation(node, part)
            node = node[part]
        if not copied:
            found.append(key)
    return found


def build_all(nodes: DictConfig | None, kind: str, protocol: type) -> list[Any]:
    """Every object of a multi-select group (bots, scorers), each held to its protocol at start-up."""
    built = []
    for key, node in (nodes or {}).items():
        obj = build_object(buildable(node), f"{kind}.{key}")
        if not isinstance(obj, protocol):
            raise InvalidData(f"{kind}.{key}: {type(obj).__module__}.{type(obj).__qualname__} is not a "
                              f"{protocol.__name__}: derive it from evalkit.{protocol.__name__} (README: "
                              f"\"Adding a bot / a scorer\")")
        built.append(obj)
    return built


# Keys a bot or scorer config may carry for the record (MLflow params, the logged model) that its class need not take:
# `version:` labels a bot version. A class that does take one gets it.
RECORDED_ONLY = ("version",)


def buildable(node: DictConfig) -> DictConfig:
    """The node as its class takes it: without the RECORDED_ONLY keys its constructor has no parameter for, still
    attached to its root (interpolations like ${oc.select:seed,0} resolve)."""
    extra = [key for key in RECORDED_ONLY if key in node and not _takes(node, key)]
    if not extra:
        return node
    trimmed = copy.copy(node)
    with open_dict(trimmed):
        for key in extra:
            trimmed.pop(key, None)
    return trimmed


def _takes(node: DictConfig, key: str) -> bool:
    try:
        parameters = inspect.signature(get_class(node._target_)).parameters
    except Exception:  # an unknown target: instantiate says so, naming the config key
        return True
    return key in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def output_dir(cfg: DictConfig) -> Path:
    """The command's run directory (Hydra's output dir), created, with the resolved config saved in it: what
    reproduces the run, written before anything else."""
    from hydra.core.hydra_config import HydraConfig

    out = Path(HydraConfig.get().runtime.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    return out


def stats_settings(cfg: DictConfig, seed: int | None = None) -> StatsSettings:
    return StatsSettings(confidence=cfg.stats.confidence, n_resamples=cfg.stats.n_resamples,
                         seed=cfg.seed if seed is None else seed)


def _replay(run_cfg: DictConfig) -> dict[str, Any]:
    """What a run's cases and statistics are made from: shared by a run and its re-scoring (whose run directory
    may come from before redaction was configurable: then it gets the default, on)."""
    redaction = OmegaConf.select(run_cfg, "redaction", default=None)
    return {"policy": run_cfg.replay.policy, "max_context_turns": run_cfg.replay.max_context_turns,
            "truncated": _truncated(OmegaConf.select(run_cfg, "replay.truncated", default="score")),
            "slices": tuple(run_cfg.slices), "stats": stats_settings(run_cfg), "cache": reply_store(run_cfg),
            "redactor": build_object(redaction, "redaction") if redaction is not None else Redactor()}


def _truncated(setting: Any) -> Truncated:
    if setting not in TRUNCATED:
        raise InvalidData(f"replay.truncated must be one of {', '.join(TRUNCATED)}, not {setting!r}")
    return setting


def build(cfg: DictConfig) -> Evaluation:
    return Evaluation(
        dataset=build_object(cfg.dataset, "dataset"),
        bots=build_all(cfg.bots, "bots", Bot),
        scorers=build_all(cfg.scorers, "scorers", Scorer),
        tracker=build_object(cfg.tracker, "tracker"),
        batch_size=cfg.batch_size,
        name=cfg.name,
        primary=cfg.primary_scorer,
        params=flatten(OmegaConf.to_container(cfg, resolve=True)),
        tags={**run_tags(), "evalkit.redaction": redaction_tag(cfg)},
        shard=OmegaConf.select(cfg, "shard", default=None),
        merge=_paths(OmegaConf.select(cfg, "merge", default=None)),
        validity=validity_of(cfg),
        **_replay(cfg),
    )


def validity_of(cfg: DictConfig) -> tuple[ScorerValidity, ...]:
    """The measured validity entries of the `validity` group (configs/validity/), checked."""
    entries = OmegaConf.select(cfg, "validity.entries", default=None)
    return measured_validity(OmegaConf.to_container(entries, resolve=True), "validity.entries") if entries else ()


def redaction_tag(cfg: DictConfig) -> str:
    """on (bot given the original text), on, bot sees redacted, or off: findable in MLflow's run list."""
    if not OmegaConf.select(cfg, "redaction.enabled", default=True):
        return "off"
    return "on, bot sees redacted" if OmegaConf.select(cfg, "redaction.bot_sees") == "redacted" else "on"


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
        dataset=build_object(dataset, "dataset"),
        bots=(),
        scorers=build_all(cfg.scorers, "scorers", Scorer),
        tracker=build_object(cfg.tracker, "tracker"),
        batch_size=cfg.batch_size,
        name=cfg.name or f"{run_cfg.name} (rescored)",
        primary=cfg.primary_scorer,
        params=flatten({**OmegaConf.to_container(cfg, resolve=True),
                        "dataset": OmegaConf.to_container(dataset, resolve=True)}),
        tags={**run_tags(), "evalkit.rescored_from": str(cfg.run_dir)},
        validity=validity_of(cfg),
        **_replay(run_cfg),  # the run's cache too: its judges' answers are reused
    )


def load_rated_set(node: DictConfig) -> RatedSet:
    """The human-rated set a `rated:` (validate) or `recipe.rated:` (train recipe=combined) node names."""
    from evalkit.validity.rated import load_rated

    return load_rated(node.path, node.format, node.name, node.usr_reference, node.knowledge)


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
