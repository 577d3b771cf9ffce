"""HTTP bot throughput against `evalkit serve` with 100 ms added latency, at 8, 64 and 256 requests in flight.

The ideal is in_flight / latency replies per second (640/s at 64 in flight); the figure of merit is the fraction of
it reached. The server runs in its own process (`python -m evalkit serve`, a batch echo bot), as a real endpoint
would, so client and server do not share one interpreter.

    PYTHONPATH=$PWD python benchmarks/http_concurrency.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LATENCY_S = 0.1


def echo(contexts: list[list[dict[str, str]]]) -> list[str]:
    """The served bot: free, so that only the HTTP path and the added latency are measured."""
    return [f"echo: {context[-1]['text']}" for context in contexts]


def start_server() -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    server = subprocess.Popen(
        [sys.executable, "-m", "evalkit", "serve", "bots=[callable]", "bots.callable.target=http_concurrency:echo",
         "bots.callable.batch=true", f"faults.latency_ms={LATENCY_S * 1000:g}", "max_batch=512", "port=0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = server.stdout.readline() if server.stdout else ""
    if "listening on" not in line:
        server.kill()
        raise RuntimeError(f"evalkit serve did not start: {line}")
    return server, line.split("listening on ")[1].strip()


def cases(n: int) -> list:
    from evalkit.replay import Case
    from evalkit.transcript import Turn

    return [Case(id=f"bench-{i}:1", transcript_id=f"bench-{i}", turn_index=1,
                 context=(Turn("customer", f"My card {i} was declined at the shop, what now?"),),
                 reference=Turn("agent", "")) for i in range(n)]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def measure(url: str, server_pid: int, in_flight: int, n: int) -> dict[str, float]:
    from evalkit.bots.http import OpenAIChatBot

    bot = OpenAIChatBot(url, "echo", max_in_flight=in_flight, timeout_s=30)
    bot.reply_batch(cases(min(n, in_flight)))  # server warmed
    work = cases(n)
    began, client_cpu, server_cpu = time.perf_counter(), time.process_time(), cpu_seconds(server_pid)
    replies = bot.reply_batch(work)
    elapsed = time.perf_counter() - began
    client_cpu, server_cpu = time.process_time() - client_cpu, cpu_seconds(server_pid) - server_cpu
    errors = sum(not r.ok for r in replies)
    rate = n / elapsed
    ideal = in_flight / LATENCY_S
    return {"in_flight": in_flight, "cases": n, "seconds": elapsed, "rate": rate, "ideal": ideal,
            "fraction": rate / ideal, "errors": errors,
            "client_ms": 1000 * client_cpu / n, "server_ms": 1000 * server_cpu / n}


def measure_peer(url: str, in_flight: int, n: int) -> float:
    """Replies/s of a bare aiohttp loop (no retries, no parsing beyond JSON) against the same server: the named
    peer, showing how much of the gap to the ideal is the machine and server, and how much the bot's client."""
    import asyncio

    import aiohttp  # an mlflow dependency; used here only

    body = {"model": "echo", "messages": [{"role": "user", "content": "My card was declined, what now?"}]}

    async def run() -> float:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as session:
            left = iter(range(n))

            async def worker() -> None:
                for _ in left:
                    async with session.post(f"{url}/chat/completions", json=body) as response:
                        await response.json()

            await asyncio.gather(*(worker() for _ in range(in_flight)))  # warm-up: connections open
            left = iter(range(n))
            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(in_flight)))
            return n / (time.perf_counter() - began)

    return asyncio.run(run())


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores (nproc), {model}; load average at start {load}; Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases (a smoke run; not for the record)")
    parser.add_argument("--out", default=str(HERE / "results" / "http_concurrency.md"))
    args = parser.parse_args()
    plan = [(8, 200), (64, 400), (256, 1000)] if args.quick else [(8, 400), (64, 2000), (256, 2000)]
    about = machine()
    server, url = start_server()
    try:
        rows = [{**measure(url, server.pid, in_flight, n), "peer": measure_peer(url, in_flight, n)}
                for in_flight, n in plan]
    finally:
        server.terminate()
        server.wait(timeout=10)
    lines = [
        "# HTTP bot concurrency against `evalkit serve` (100 ms added latency)", "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {about}",
        "- server: `python -m evalkit serve` (batch echo bot via the callable bot) in its own process; client: "
        "`OpenAIChatBot.reply_batch` over all cases at once",
        f"- command: `PYTHONPATH=$PWD python benchmarks/http_concurrency.py{' --quick' if args.quick else ''}`", "",
        "| in flight | cases | seconds | replies/s | ideal replies/s | fraction of ideal | errors "
        "| client CPU ms/reply | server CPU ms/reply | bare aiohttp replies/s | bot / bare aiohttp |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(f"| {r['in_flight']} | {r['cases']} | {r['seconds']:.2f} | {r['rate']:.0f} | {r['ideal']:.0f} | "
          f"{r['fraction']:.2f} | {r['errors']} | {r['client_ms']:.2f} | {r['server_ms']:.2f} | {r['peer']:.0f} | "
          f"{r['rate'] / r['peer']:.2f} |" for r in rows),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
