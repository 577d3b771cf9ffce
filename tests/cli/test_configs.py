"""Every config file composes and instantiates: a typo in any YAML fails here, not in a user's run."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from evalkit.cli.config import CONFIG_DIR, build, build_object, buildable
from evalkit.contract import Bot, Scorer
from evalkit.scorers.rubric.rubric import RubricScorer

# Hydra's own group (launchers, output) is configured, not composed as an option of ours.
NOT_GROUPS = {"hydra"}
ROOTS = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))
MULTI_SELECT = {"bots", "scorers"}  # each file holds one object under a key equal to its name


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def groups() -> list[str]:
    return sorted(p.name for p in CONFIG_DIR.iterdir() if p.is_dir() and p.name not in NOT_GROUPS)


def composed(root: str, overrides: list[str] | None = None) -> DictConfig:
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return compose(root, overrides=overrides or [])


def cases() -> list[tuple[str, str, str]]:
    found = []
    for root in ROOTS:
        cfg = composed(root)
        for group in groups():
            if group in cfg or (group == "experiment" and root == "run"):
                found += [(root, group, option) for option in options(group)]
    return found


def fill_missing(node: DictConfig) -> None:
    """Mandatory values (`???`) get a placeholder: constructors only store arguments, so nothing is opened."""
    for key in list(node.keys()):
        if OmegaConf.is_missing(node, key):
            node[key] = "placeholder"
        elif isinstance(node[key], DictConfig):
            fill_missing(node[key])


def override(group: str, option: str) -> str:
    return f"{group}=[{option}]" if group in MULTI_SELECT else f"{group}={option}"


def targets(node: DictConfig) -> list[DictConfig]:
    if "_target_" in node:
        return [node]
    return [child for child in node.values() if isinstance(child, DictConfig) and "_target_" in child]


def test_every_group_folder_belongs_to_a_command():
    used = {group for _, group, _ in cases()}
    assert set(groups()) <= used, f"config groups no command composes: {set(groups()) - used}"


@pytest.mark.parametrize(("root", "group", "option"), cases())
def test_every_option_composes_and_instantiates(root: str, group: str, option: str):
    cfg = composed(root, [override(group, option)])
    data = OmegaConf.select(cfg, "recipe.data", default=None) if group == "recipe" else None
    if data is not None and OmegaConf.is_missing(data, "path"):
        # A recipe whose data is the user's own file (qa_verdicts: an audit's export) reads it when built.
        assert cfg.recipe.data._target_.startswith("evalkit."), f"recipe/{option}.yaml: _target_ outside evalkit"
        return
    fill_missing(cfg)
    OmegaConf.to_container(cfg, resolve=True)  # every interpolation resolves (plain settings groups: replay, stats)
    if group == "experiment":
        evaluation = build(cfg)
        assert evaluation.slices and evaluation.bots
        return
    if group == "rubric":
        with_rubric = composed(root, ["scorers=[rubric]", f"rubric={option}"])
        fill_missing(with_rubric)
        scorer = build_object(with_rubric.scorers.rubric)
        assert isinstance(scorer, RubricScorer) and scorer.rubric == option, "a rubric's name is its file's name"
        assert all(isinstance(c.check, Scorer) for c in scorer.criteria)
        return
    node = cfg[group]
    for key, child in ((k, v) for k, v in node.items() if isinstance(v, DictConfig)) if group in MULTI_SELECT \
            else ((None, n) for n in targets(node)):
        assert child._target_.startswith("evalkit."), f"{group}/{option}.yaml: _target_ outside evalkit"
        built = build_object(buildable(child))
        if group in MULTI_SELECT:
            assert isinstance(built, Bot if group == "bots" else Scorer)
            assert built.name == key == option, f"{group}/{option}.yaml: key, file name and `name:` must agree"


def test_the_run_config_builds_an_evaluation():
    evaluation = build(composed("run", ["tracker=none"]))
    assert [b.name for b in evaluation.bots] == ["human", "bot_v1", "bot_v2", "retrieval"]
    assert [s.name for s in evaluation.scorers] == ["chrf", "bleu", "rouge_l", "token_f1", "relevance", "rubric",
                                                    "handoff"]
    assert {v.scorer for v in evaluation.validity} >= {"relevance", "rubric", "quality"}  # configs/validity/
    assert Path(evaluation.dataset.path).is_file()
    assert evaluation.params["replay.policy"] == "all"
    assert evaluation.primary == "chrf" and evaluation.stats.n_resamples == 2000


def test_shared_groups_are_said_once():
    """hydra output, cache and stats come from their groups in every root that uses them, not from copies (sync
    writes into the run directory it is given, not a new one)."""
    for root in set(ROOTS) - {"sync"}:
        text = (CONFIG_DIR / f"{root}.yaml").read_text()
        assert "run:\n    dir:" not in text and "\ncache:\n" not in text, f"{root}.yaml repeats a shared group"
        assert "override hydra/output: evalkit" in text


def test_a_bot_version_label_is_kept_from_classes_without_one_and_given_to_classes_with_one():
    cfg = composed("run", ["tracker=none", "bots=[bot_v2]",
                           "+bots.echo={_target_:evalkit.testing.EchoBot,name:echo,version:3}"])
    evaluation = build(cfg)
    recorded, echo = evaluation.bots
    assert recorded.name == "bot_v2" and echo.version == 3  # RecordedBot takes no `version`; EchoBot does
    assert evaluation.params["bots.bot_v2.version"] == "v2"  # still recorded: it labels the MLflow version
