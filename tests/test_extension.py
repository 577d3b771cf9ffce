"""A newcomer's bot and scorer: one module and one YAML each, nothing else edited, and they appear everywhere a
built-in one does (console table, summary.json, report, MLflow metrics, rescore, compare).

They are the README's example ("Adding a bot, a scorer or a rubric check"), so the README cannot drift from what
works; they live only in this test's temporary package, and their configs reach Hydra through its search path, the
way a team keeps its own configs beside evalkit's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.data import PROJECT_ROOT

pytestmark = pytest.mark.slow

SECTION = "## Adding a bot, a scorer or a rubric check"


def readme_example() -> list[str]:
    """The README's example, code block by code block: bot module, bot YAML, scorer module, scorer YAML."""
    text = (PROJECT_ROOT / "README.md").read_text()
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```(?:python|yaml)\n(.*?)```", section, re.S)[:4]


def evalkit(*args: str, extra_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(extra_path), str(PROJECT_ROOT)])}
    env.pop("MLFLOW_TRACKING_URI", None)
    out = subprocess.run([sys.executable, "-m", "evalkit", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out


def test_a_new_bot_and_scorer_show_up_everywhere(tmp_path: Path):
    # The README's two modules and two YAML files, moved from evalkit/ into a package of this test's own.
    bot, bot_yaml, scorer, scorer_yaml = readme_example()
    (tmp_path / "team_ext").mkdir()
    (tmp_path / "team_ext" / "__init__.py").write_text("")
    (tmp_path / "team_ext" / "polite.py").write_text(bot)
    (tmp_path / "team_ext" / "courtesy.py").write_text(scorer)
    configs = tmp_path / "configs"
    (configs / "bots").mkdir(parents=True)
    (configs / "scorers").mkdir()
    (configs / "bots" / "polite.yaml").write_text(bot_yaml.replace("evalkit.bots.polite", "team_ext.polite"))
    (configs / "scorers" / "courtesy.yaml").write_text(scorer_yaml.replace("evalkit.scorers.courtesy",
                                                                           "team_ext.courtesy"))
    search = f"hydra.searchpath=[file://{configs}]"
    run_dir = tmp_path / "run"

    out = evalkit("run", search, "bots=[human,bot_v2,polite]", "scorers=[chrf,courtesy]", "tracker.store_dir=" +
                  str(tmp_path), f"hydra.run.dir={run_dir}", extra_path=tmp_path)
    assert "courtesy" in out.stdout and "polite" in out.stdout  # the console table
    summary = json.loads((run_dir / "summary.json").read_text())
    means = {(s["bot"], s["scorer"]): s["mean"] for s in summary["scores"] if s["slice_key"] == "all"}
    assert means[("polite", "courtesy")] == 1.0 and ("polite", "chrf") in means and ("human", "courtesy") in means
    assert summary["scorers"]["courtesy"] == {"higher_is_better": True, "needs_reference": False, "summary": "mean",
                                              "parity": True}
    assert any(p["bot"] == "polite" and p["scorer"] == "courtesy" for p in summary["parity"])
    report = (run_dir / "report.md").read_text()
    assert "courtesy" in report and "polite" in report

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    run_id = (run_dir / "mlflow_run_id").read_text().strip()
    (child,) = client.search_runs([client.get_run(run_id).info.experiment_id],
                                  f"tags.mlflow.parentRunId = '{run_id}' and tags.`evalkit.bot` = 'polite'")
    assert child.data.metrics["courtesy/mean"] == 1.0 and "parity/courtesy/diff" in child.data.metrics
    (version,) = [m for m in client.search_logged_models([child.info.experiment_id]) if m.name == "polite"]
    assert version.params["version"] == child.data.params["version"] == "2026-12"  # the YAML's `version:`

    rescored = tmp_path / "rescored"
    evalkit("rescore", search, f"run_dir={run_dir}", "scorers=[courtesy]", "tracker=none",
            f"hydra.run.dir={rescored}", extra_path=tmp_path)
    again = json.loads((rescored / "summary.json").read_text())
    assert {(s["bot"], s["scorer"]) for s in again["scores"] if s["slice_key"] == "all"} >= {("polite", "courtesy")}

    compared = tmp_path / "compared"
    out = evalkit("compare", f"run={run_dir}", "baseline=bot_v2", "candidates=[polite]", "track=false",
                  f"hydra.run.dir={compared}", extra_path=tmp_path)
    comparison = json.loads((compared / "comparison.json").read_text())
    rows = {(r["scorer"], r["slice_key"]) for r in comparison["comparisons"][0]["rows"]}
    assert ("courtesy", "all") in rows and "courtesy" in out.stdout
