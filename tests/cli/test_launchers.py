"""The launcher overlays compose onto the installed Hydra plugins (composition only: no cluster here)."""

from __future__ import annotations

import importlib.util

import pytest
from hydra import compose, initialize_config_dir

from evalkit.cli.config import CONFIG_DIR


def _launcher(name: str):
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return compose("run", [f"hydra/launcher={name}", "shard=0/2"], return_hydra_config=True).hydra.launcher


def test_local_parallel_launcher_is_joblib_on_every_core():
    launcher = _launcher("local")
    assert launcher._target_ == "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
    assert launcher.n_jobs == -1


def test_slurm_launcher_is_submitit():
    launcher = _launcher("slurm")
    assert launcher._target_ == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert launcher.timeout_min == 120 and launcher.cpus_per_task == 4


@pytest.mark.skipif(importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None,
                    reason="the Ray launcher is an optional extra (it pins cloudpickle<3)")
def test_ray_launcher():
    assert "ray" in _launcher("ray")._target_.lower()
