"""How evalkit's time and memory grow with the size of a run: the Twitter care dev set replicated to 10k, 50k and
100k cases (distinct conversation ids; every copy's agent replies perturbed, so scores vary), `evalkit run` end to
end with the human, recorded and retrieval bots, chrF + token F1 + ROUGE-L, redaction on (the default), no cache,
once with `tracker=none` and once logging to a fresh embedded MLflow store (the default tracker).

Peak RSS is the child process's high-water mark (VmHWM, read from /proc while it runs), time is the command's wall
time. The recorded bot replays each case's human reply with its last word dropped.

    PYTHONPATH=benchmarks:. python benchmarks/scale.py [--sizes 10000,100000] [--trackers none,mlflow] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from machine_info import cpu_model

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "ibm-twitter-care" / "dev.json"
FILLER = ("please", "kindly", "quickly", "again", "today", "now", "here", "too", "as well", "for you")


def replicate(cases: int, target: Path) -> int:
    """Copies of dev.json with fresh session ids until `cases` agent turns; each copy's agent words shuffled a
    little, so replies differ between copies and every score varies (constant scores would flatter the bootstrap)."""
    source = json.loads(DEV.read_text())
    rng = random.Random(0)
    written = 0
    with target.open("w") as out:
        out.write("[")
        copy = 0
        while written < cases:
            for convo in source:
                if written >= cases:
                    break
                convo = json.loads(json.dumps(convo))
                convo["dialogHeader"]["sessionID"] = f"{convo['dialogHeader']['sessionID']}-{copy}"
                url = convo["agentURL"]
                url["url_utterance"] = f"{url['url_utterance']} {rng.choice(FILLER)}"
                for tweet in convo["dialogContent"]:
                    if "agent" in tweet:
                        tweet["message"] = f"{tweet['message']} {rng.choice(FILLER)}"
                out.write(("," if written else "") + json.dumps(convo))
                written += 1 + sum("agent" in t for t in convo["dialogContent"])
            copy += 1
        out.write("]")
    return written


def record_replies(data: Path, target: Path) -> None:
    """The recorded bot's replies: every case's human reply without its last word."""
    from evalkit.loaders.twitter_care import TwitterCareLoader
    from evalkit.replay import expand

    with target.open("w") as out:
        for case in expand(TwitterCareLoader(str(data)).load().transcripts):
            words = case.reference.text.split()
            out.write(json.dumps({"case_id": case.id, "text": " ".join(words[:-1] or words)}) + "\n")


def peak_rss_mib(pid: int, stop: threading.Event, seen: list[float]) -> None:
    status = Path(f"/proc/{pid}/status")
    while not stop.wait(0.05):
        try:
            line = next(li for li in status.read_text().splitlines() if li.startswith("VmHWM:"))
        except (OSError, StopIteration):
            continue
        seen.append(int(line.split()[1]) / 1024)


def measure(data: Path, recorded: Path, tracker: str, work: Path) -> dict:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "HF_HUB_OFFLINE": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    tracking = ["tracker=none"] if tracker == "none" else [f"tracker.store_dir={work / 'store'}"]
    command = [sys.executable, "-m", "evalkit", "run", *tracking, "cache=off", "dataset=twitter_care",
               f"dataset.path={data}", "bots=[human,recorded,retrieval]", f"bots.recorded.path={recorded}",
               "scorers=[chrf,token_f1,rouge_l]", "slices=[company]", f"hydra.run.dir={work / 'run'}"]
    began = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop, seen = threading.Event(), [0.0]
    watcher = threading.Thread(target=peak_rss_mib, args=(child.pid, stop, seen))
    watcher.start()
    _, stderr = child.communicate()
    seconds = time.perf_counter() - began
    stop.set()
    watcher.join()
    if child.returncode != 0:
        raise SystemExit(stderr[-2000:])
    summary = json.loads((work / "run" / "summary.json").read_text())
    chrf = next(s for s in summary["scores"] if s["bot"] == "retrieval" and s["scorer"] == "chrf"
                and s["slice_key"] == "all")
    return {"seconds": seconds, "peak_mib": max(seen), "cases": summary["cases"],
            "retrieval_chrf_ci": [chrf["ci_low"], chrf["ci_high"]]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--trackers", default="none,mlflow")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="evalkit-scale-"))
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        data, recorded = work / f"tc-{size}.json", work / f"recorded-{size}.jsonl"
        replicate(size, data)
        record_replies(data, recorded)
        for tracker in args.trackers.split(","):
            result = measure(data, recorded, tracker, work / f"{tracker}-{size}")
            rows.append({"size": size, "tracker": tracker, **result})
            print(json.dumps(rows[-1]), flush=True)
    lines = [f"machine: {cpu_model()}, {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
             f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC", "",
             "| tracker | cases | seconds | peak RSS (MiB) | time vs smallest | RSS vs smallest |",
             "|---|---|---|---|---|---|"]
    for tracker in args.trackers.split(","):
        mine = [r for r in rows if r["tracker"] == tracker]
        base = mine[0]
        lines += [f"| {tracker} | {r['cases']} | {r['seconds']:.1f} | {r['peak_mib']:.0f} | "
                  f"{r['seconds'] / base['seconds']:.1f}x | {r['peak_mib'] / base['peak_mib']:.2f}x |" for r in mine]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
