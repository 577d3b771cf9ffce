"""Every config file composes and instantiates: a typo in any YAML fails here, not in a user's run."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from evalkit.config import CONFIG_DIR, build

# Folders under configs/ that are not option groups of a command: Hydra's own overlays, data files read by path.
NOT_GROUPS = {"hydra", "rubric"}
ROOTS = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def cases() -> list[tuple[str, str, str]]:
    found = []
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        for root in ROOTS:
            cfg = compose(root)
            for group in sorted(p.name for p in CONFIG_DIR.iterdir() if p.is_dir() and p.name not in NOT_GROUPS):
                if group in cfg:
                    found += [(root, group, option) for option in options(group)]
    return found


def fill_missing(node: DictConfig) -> None:
    """Mandatory values (`???`) get a placeholder: constructors only store arguments, so nothing is opened."""
    for key in list(node.keys()):
        if OmegaConf.is_missing(node, key):
            node[key] = "placeholder"
        elif isinstance(node[key], DictConfig):
            fill_missing(node[key])


def targets(node: DictConfig) -> list[DictConfig]:
    if "_target_" in node:
        return [node]
    return [child for child in node.values() if isinstance(child, DictConfig) and "_target_" in child]


def test_every_group_folder_belongs_to_a_command():
    used = {group for _, group, _ in cases()}
    groups = {p.name for p in CONFIG_DIR.iterdir() if p.is_dir()} - NOT_GROUPS
    assert groups <= used, f"config groups no command composes: {groups - used}"


@pytest.mark.parametrize(("root", "group", "option"), cases())
def test_every_option_composes_and_instantiates(root: str, group: str, option: str):
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        selected = compose(root)[group]
        multi = not ("_target_" in selected or any(not isinstance(v, DictConfig) for v in selected.values()))
        cfg = compose(root, overrides=[f"{group}=[{option}]" if multi else f"{group}={option}"])
    fill_missing(cfg)
    OmegaConf.to_container(cfg[group], resolve=True)  # plain settings groups (replay) only need to resolve
    for node in targets(cfg[group]):
        instantiate(node)
        assert node._target_.startswith("evalkit."), f"{group}/{option}.yaml: _target_ outside evalkit"


def test_the_run_config_builds_an_evaluation():
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=["tracker=none"])
    evaluation = build(cfg)
    assert [b.name for b in evaluation.bots] == ["human", "bot_v1", "bot_v2", "retrieval"]
    assert [s.name for s in evaluation.scorers] == ["chrf", "bleu", "rouge_l", "token_f1", "rubric", "handoff"]
    assert Path(evaluation.dataset.path).is_file()
    assert evaluation.params["replay.policy"] == "all"
