"""A run killed with SIGKILL mid-way and started again finishes exactly as an uninterrupted run would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from evalkit.cli.config import CONFIG_DIR, PROJECT_ROOT, build
from evalkit.cli.run import check_resumable
from evalkit.errors import InvalidData
from evalkit.pipeline.evaluate import evaluate

N_TRANSCRIPTS = 16


def write_dataset(path: Path) -> Path:
    topics = ["card", "refund", "transfer", "account", "fee", "loan", "pin", "statement"]
    with path.open("w") as out:
        for i in range(N_TRANSCRIPTS):
            topic = topics[i % len(topics)]
            turns = [{"role": "customer", "text": f"hi, question {i} about my {topic}"},
                     {"role": "agent", "text": f"sure, let me check your {topic}"},
                     {"role": "customer", "text": f"thanks, it is number {i}"},
                     {"role": "agent", "text": "done, anything else?"}]
            out.write(json.dumps({"id": f"r{i:02d}", "turns": turns, "meta": {"intent": topic}}) + "\n")
    return path


def overrides(data: Path, model: Path, cache: Path) -> list[str]:
    return ["dataset=jsonl", f"dataset.path={data}", "dataset.name=resume", "bots=[transformers]",
            f"bots.transformers.model={model}", "bots.transformers.max_new_tokens=16",
            "bots.transformers.min_new_tokens=16", "scorers=[token_f1]", "tracker=none", "batch_size=2",
            f"cache.path={cache}", "primary_scorer=token_f1", "slices=[intent]"]  # the data has no company


def start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "evalkit", "run", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def uninterrupted(args: list[str], run_dir: Path) -> None:
    """The same run in this process (its imports are paid already), with the subprocesses' single thread."""
    import torch

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=args)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        evaluate(build(cfg), run_dir)
    finally:
        torch.set_num_threads(threads)


def bot_lines(results: Path) -> int:
    if not results.exists():
        return 0
    return sum('"bot": "transformers"' in line for line in results.read_text().splitlines())


def comparable(results: Path) -> list[dict]:
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    for row in rows:
        row["reply"].pop("latency_s")
    return sorted(rows, key=lambda r: (r["bot"], r["case_id"]))


@pytest.mark.slow
def test_kill_9_then_resume_gives_the_uninterrupted_results(tmp_path: Path, tiny_gpt2_path: Path):
    data = write_dataset(tmp_path / "data.jsonl")
    n_cases = 2 * N_TRANSCRIPTS
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    victim = start([*overrides(data, tiny_gpt2_path, tmp_path / "cache-b.sqlite"), f"hydra.run.dir={interrupted}"])
    deadline = time.monotonic() + 240
    while bot_lines(interrupted / "results.jsonl") < 4 and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    done_before = bot_lines(interrupted / "results.jsonl")
    assert victim.returncode == -signal.SIGKILL
    assert 4 <= done_before < n_cases, "the run must be killed mid-way for this test to mean anything"
    assert not (interrupted / "summary.json").exists()

    resumed = start([*overrides(data, tiny_gpt2_path, tmp_path / "cache-b.sqlite"), f"resume={interrupted}"])
    uninterrupted(overrides(data, tiny_gpt2_path, tmp_path / "cache-a.sqlite"), reference)  # meanwhile, here
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert str(interrupted) in out  # resume=<dir> continued in that directory

    lines = (interrupted / "results.jsonl").read_text().splitlines()
    pairs = [(json.loads(line)["bot"], json.loads(line)["case_id"]) for line in lines]
    assert len(pairs) == len(set(pairs)) == 2 * n_cases  # human + bot, no duplicate, none missing
    assert comparable(interrupted / "results.jsonl") == comparable(reference / "results.jsonl")
    summary = json.loads((interrupted / "summary.json").read_text())
    assert summary["scores"] == json.loads((reference / "summary.json").read_text())["scores"]


def test_a_run_directory_is_continued_only_with_its_own_config(tmp_path: Path, tiny_gpt2_path: Path):
    data = write_dataset(tmp_path / "data.jsonl")
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=overrides(data, tiny_gpt2_path, tmp_path / "c.sqlite"))
        same_but_resumed = compose("run", overrides=[*overrides(data, tiny_gpt2_path, tmp_path / "other.sqlite"),
                                                     f"resume={tmp_path}", "batch_size=8"])
        other = compose("run", overrides=[*overrides(data, tiny_gpt2_path, tmp_path / "c.sqlite"),
                                          "bots.transformers.max_new_tokens=5"])
    check_resumable(tmp_path, other)  # nothing there yet: any config starts
    (tmp_path / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    (tmp_path / "results.jsonl").write_text("")
    check_resumable(tmp_path, same_but_resumed)
    with pytest.raises(InvalidData, match=r"differs at bots\.transformers\.max_new_tokens"):
        check_resumable(tmp_path, other)
