"""Per-case traces: evalkit's batched writer vs MLflow's public tracing API vs `mlflow.genai.evaluate`, on the same
records of the demo run, in the same MLflow run; into the embedded SQLite store and into a local `mlflow server`.
Then the default demo run's wall time with traces (`tracker.traces=audit`, the default) and with `tracker.traces=none`.

- floor:   the public API, at its fastest: `mlflow.start_span` per record with the chat inputs and the outputs, the
           tags and session metadata set with `mlflow.update_current_trace`, every score logged with
           `mlflow.log_feedback` (and the human reply with `mlflow.log_expectation`) while the span is still open, so
           they are written in the trace's own transaction; synchronous export.
- evalkit: `evalkit.tracking.traces.log_case_traces` (the same tags, metadata, spans and assessments).
- genai:   `mlflow.genai.evaluate` over the same rows with one code scorer per score column (values read from the
           row: no scoring cost), MLFLOW_GENAI_EVAL_MAX_WORKERS=1 (more workers drop rows on SQLite).

Run: PYTHONPATH=. python benchmarks/traces.py [--records 600] [--skip-server] [--skip-demo] [--skip-genai]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

for _name, _value in {"MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_ENABLE_ASYNC_TRACE_LOGGING": "false",
                      "MLFLOW_GENAI_EVAL_MAX_WORKERS": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"
                      }.items():
    os.environ.setdefault(_name, _value)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/mlflow_server.py starts the local server

RESULTS = ROOT / "benchmarks" / "results" / "traces.md"


def demo_run(into: Path, traces: str) -> tuple[float, Path]:
    """The default demo run (`evalkit run`), timed end to end as a user runs it."""
    into.mkdir(parents=True, exist_ok=True)
    run_dir = into / f"demo-{traces}"
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "evalkit", "run", f"hydra.run.dir={run_dir}", f"tracker.traces={traces}",
                    f"tracker.store_dir={into / f'store-{traces}'}"], check=True, cwd=ROOT, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - began, run_dir


def breakdown_child(into: str) -> None:
    """Runs the default demo run in this process and prints how much of it went to choosing and writing traces."""
    import json

    import evalkit.pipeline.publish as publish
    import evalkit.tracking.runs as runs

    spent = {"choose": 0.0, "write": 0.0}

    def timed(function, key):
        def wrapper(*args, **kwargs):
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - began
        return wrapper

    publish.trace_files = timed(publish.trace_files, "choose")
    runs.log_bot_traces = timed(runs.log_bot_traces, "write")
    began = time.perf_counter()
    sys.argv = ["evalkit run", f"hydra.run.dir={into}/run", f"tracker.store_dir={into}/store"]
    from evalkit.cli.run import run

    with contextlib.suppress(SystemExit):  # evalkit run exits with its code; the timing is what matters here
        run()
    print("BREAKDOWN " + json.dumps({**spent, "total": time.perf_counter() - began}))


def demo_breakdown(into: Path) -> dict[str, float]:
    import json

    done = subprocess.run([sys.executable, __file__, "--breakdown-child", str(into)], check=True, cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = next(line for line in done.stdout.splitlines() if line.startswith("BREAKDOWN "))
    return json.loads(line.removeprefix("BREAKDOWN "))


def floor(records, experiment_id: str, run_id: str) -> None:
    import mlflow
    from mlflow.entities import AssessmentSource, SpanType

    from evalkit.tracking.traces import chat_messages

    code, human = AssessmentSource("CODE", "evalkit"), AssessmentSource("HUMAN", "human_agent")
    for r in records:
        with mlflow.start_span(r.bot, span_type=SpanType.CHAT_MODEL) as span:
            span.set_inputs({"messages": chat_messages(r.context)})
            span.set_outputs({"reply": r.reply.text, "error": r.reply.error, "handoff": r.reply.handoff,
                              "latency_s": r.reply.latency_s})
            mlflow.update_current_trace(
                tags={"evalkit.case_id": r.case_id, "evalkit.bot": r.bot,
                      **{f"evalkit.slice.{k}": v for k, v in r.slices.items()}},
                metadata={"mlflow.sourceRun": run_id, "mlflow.trace.session": r.transcript_id})
            for name, value in r.scores.items():
                if value is not None:
                    mlflow.log_feedback(trace_id=span.trace_id, name=name, value=value, source=code)
            mlflow.log_expectation(trace_id=span.trace_id, name="expected_response", value=r.reference, source=human)


def genai(records, run_id: str) -> None:
    import mlflow
    import pandas as pd
    from mlflow.genai.scorers import scorer

    names = sorted({n for r in records for n in r.scores})
    data = pd.DataFrame([{"inputs": {"messages": [dict(t) for t in r.context]},
                          "outputs": {"reply": r.reply.text, **{n.replace("/", "__"): r.scores.get(n) for n in names}},
                          "expectations": {"expected_response": r.reference}} for r in records])

    def column(name: str):
        key = name.replace("/", "__")

        @scorer(name=key)
        def read(outputs):
            return outputs.get(key)
        return read

    with mlflow.start_run(run_id=run_id):
        mlflow.genai.evaluate(data=data, scorers=[column(n) for n in names])


def measure(uri: str, records, which: list[str], label: str) -> dict[str, float]:
    import mlflow

    from evalkit.tracking.store import prepared, using
    from evalkit.tracking.traces import TraceTarget, log_case_traces

    rates = {}
    with prepared(uri) if label == "evalkit" else using(uri), using(uri):
        experiment = mlflow.create_experiment(f"traces-{time.time_ns()}")
        mlflow.set_experiment(experiment_id=experiment)
        run_id = mlflow.MlflowClient().create_run(experiment).info.run_id
        for name in which:
            began = time.perf_counter()
            if name == "evalkit":
                log_case_traces(records, TraceTarget(experiment, run_id, "bench"), uri)
            elif name == "floor":
                floor(records, experiment, run_id)
            else:
                genai(records, run_id)
            rates[name] = len(records) / (time.perf_counter() - began)
            print(f"{label:>8} {name:>8}: {rates[name]:.1f} traces/s", flush=True)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=600)
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-genai", action="store_true")
    parser.add_argument("--only-demo", action="store_true")
    parser.add_argument("--breakdown-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.breakdown_child:
        breakdown_child(args.breakdown_child)
        return

    from benchmarks.machine_info import cpu_model
    from evalkit.results import ResultsLog

    which = ["floor", "evalkit"] + ([] if args.skip_genai else ["genai"])
    lines = [f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {cpu_model()}, {os.cpu_count()} cores",
             "", f"`python benchmarks/traces.py {' '.join(sys.argv[1:])}`; demo records (bot rows, 11-13 "
             "assessments per trace).", ""]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _, run_dir = demo_run(tmp, "none")
        records = [r for r in ResultsLog(run_dir / "results.jsonl") if not r.reply_is_reference][:args.records]
        if not args.only_demo:
            lines += ["| store | public API floor | evalkit | evalkit / floor | mlflow.genai.evaluate |",
                      "|---|---|---|---|---|",
                      _row("embedded SQLite as evalkit creates it (write-ahead log)",
                           measure(f"sqlite:///{tmp / 'wal.db'}", records, which, "evalkit")),
                      _row("SQLite as MLflow creates it (rollback journal)",
                           measure(f"sqlite:///{tmp / 'plain.db'}", records, which, "plain"))]
        if not args.skip_server and not args.only_demo:
            from tests.mlflow_server import mlflow_server

            (tmp / "server").mkdir()
            with mlflow_server(tmp / "server") as url:
                lines.append(_row("local `mlflow server` (its own SQLite)", measure(url, records, which, "server")))
        if not args.skip_demo:
            # Alternating, median of three each: the machine is shared and a single run varies by seconds.
            times: dict[str, list[float]] = {"none": [], "audit": []}
            for _ in range(3):
                for mode in times:
                    times[mode].append(demo_run(tmp / f"demo{len(times[mode])}", mode)[0])
            none_s, audit_s = (statistics.median(times[m]) for m in ("none", "audit"))
            lines += ["", f"Default demo run (`evalkit run`, 1,164 records, a fresh store each; median of 3, "
                      f"alternating): {audit_s:.1f} s with `tracker.traces=audit` (the default: 90 traces), "
                      f"{none_s:.1f} s with `tracker.traces=none` ({audit_s / none_s - 1:+.0%}); runs: "
                      + ", ".join(f"{m} {' / '.join(f'{t:.1f}' for t in ts)} s" for m, ts in times.items()) + "."]
            parts = [demo_breakdown(tmp / f"breakdown{i}") for i in range(3)]
            lines += ["", "Inside the default run (one process, timed around choosing the cases and writing their "
                      "traces; 3 runs): " + "; ".join(
                          f"{p['choose'] + p['write']:.2f} s of {p['total']:.1f} s "
                          f"({(p['choose'] + p['write']) / (p['total'] - p['choose'] - p['write']):+.0%} over the "
                          "run without them)" for p in parts) + "."]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    old = RESULTS.read_text() if RESULTS.exists() else "# Per-case traces: traces/s\n\n"
    RESULTS.write_text(old.rstrip("\n") + "\n\n" + text)


def _row(store: str, rates: dict[str, float]) -> str:
    genai_rate = f"{rates['genai']:.1f}" if "genai" in rates else "–"
    return (f"| {store} | {rates['floor']:.1f} | {rates['evalkit']:.1f} | {rates['evalkit'] / rates['floor']:.2f}× "
            f"| {genai_rate} |")


if __name__ == "__main__":
    main()
