"""evalkit end to end vs `mlflow.genai.evaluate` vs a bare loop, on 2,000 recorded replies, in one run.

The job: score 2,000 recorded bot replies against the human agents' replies with token F1, chrF and ROUGE-L, and log
every row to an embedded (SQLite) MLflow store so each turn can be inspected. Data: the Twitter care dev set's agent
turns with retrieval-bot replies, repeated (with distinct transcript ids) up to 2,000 cases.

- floor:   a single-process loop over the reference implementations (sacrebleu, rouge-score, the token F1 function)
           plus one bulk `log_table`.
- evalkit: `evaluate()` from loading the transcripts to the last MLflow write (parent run, dataset input, nested run
           per bot with metrics and the per-turn table, report and summaries with bootstrap CIs per company). Its
           mandatory human row is scored too (by the reference-free scorers: none here); rows/s counts the 2,000 bot
           rows only.
- peer:    `mlflow.genai.evaluate` with the same three metrics as code scorers, MLFLOW_GENAI_EVAL_MAX_WORKERS=4.

Also checks that evalkit's values equal the reference implementations' on every row.
Run: PYTHONPATH=. python benchmarks/genai_evaluate_peer.py [--rows 2000] [--skip-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

for _name, _value in {"MLFLOW_DISABLE_TELEMETRY": "true", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                      "MLFLOW_GENAI_EVAL_MAX_WORKERS": "4"}.items():
    os.environ.setdefault(_name, _value)

# The shared data folder beside the checkout (or pass --data).
TWITTER_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "ibm-twitter-care" / "dev.json"


def build_data(rows: int, into: Path, source: Path) -> tuple[Path, Path, list[dict]]:
    """Transcripts (evalkit schema) and recorded replies with exactly `rows` cases; the flat rows for the others."""
    from evalkit.bots.retrieval import RetrievalBot
    from evalkit.loaders.twitter_care import TwitterCareLoader
    from evalkit.replay import expand

    dataset = TwitterCareLoader(path=str(source)).load()
    bot = RetrievalBot()
    bot.fit(dataset.transcripts)
    cases = list(expand(dataset.transcripts))
    replies = {c.id: r.text for c, r in zip(cases, bot.reply_batch(cases), strict=True)}
    transcripts, recorded, flat, copy = [], [], [], 0
    while len(flat) < rows:
        for t in dataset.transcripts:
            agent = [i for i, turn in enumerate(t.turns) if turn.role == "agent"][: rows - len(flat)]
            if not agent:
                break
            tid = f"{t.id}~{copy}"
            turns = [{"role": x.role, "text": x.text, "meta": dict(x.meta)} for x in t.turns[: agent[-1] + 1]]
            transcripts.append({"id": tid, "turns": turns, "meta": dict(t.meta)})
            for i in agent:
                text = replies[f"{t.id}:{i}"]
                recorded.append({"case_id": f"{tid}:{i}", "text": text})
                flat.append({"case_id": f"{tid}:{i}", "reference": t.turns[i].text, "reply": text,
                             "context": "\n".join(f"{x.role}: {x.text}" for x in t.turns[:i])})
        copy += 1
    transcripts_path, replies_path = into / "transcripts.jsonl", into / "replies.jsonl"
    transcripts_path.write_text("".join(json.dumps(x) + "\n" for x in transcripts))
    replies_path.write_text("".join(json.dumps(x) + "\n" for x in recorded))
    return transcripts_path, replies_path, flat


def fresh_store(path: Path, experiment: str) -> str:
    """A new SQLite store with its experiment, created before timing (schema migrations are not the job)."""
    import mlflow

    uri = f"sqlite:///{path}"
    mlflow.set_tracking_uri(uri)
    mlflow.create_experiment(experiment, artifact_location=(path.parent / f"{path.stem}-artifacts").as_uri())
    return uri


def reference_metrics():
    from rouge_score.rouge_scorer import RougeScorer
    from sacrebleu.metrics import CHRF

    from evalkit.scorers.overlap import token_f1
    from evalkit.textnorm import normalize_reply

    chrf, rouge = CHRF(), RougeScorer(["rougeL"], use_stemmer=True)

    def score(reference: str, reply: str) -> dict[str, float]:
        ref, hyp = normalize_reply(reference), normalize_reply(reply)
        return {"token_f1": token_f1(ref, hyp), "chrf": float(chrf.sentence_score(hyp, [ref]).score),
                "rouge_l": float(rouge.score(ref, hyp)["rougeL"].fmeasure)}

    return score


def run_floor(flat: list[dict], work: Path) -> tuple[float, list[dict]]:
    import mlflow
    import pandas as pd

    uri = fresh_store(work / "floor.db", "floor")
    score = reference_metrics()
    began = time.perf_counter()
    rows = [{**row, **score(row["reference"], row["reply"])} for row in flat]
    mlflow.set_tracking_uri(uri)
    with mlflow.start_run(experiment_id=mlflow.get_experiment_by_name("floor").experiment_id):
        mlflow.log_table(pd.DataFrame(rows), artifact_file="per_turn.json")
    return time.perf_counter() - began, rows


def run_evalkit(transcripts: Path, replies: Path, work: Path, tag: str) -> tuple[float, int, Path]:
    import mlflow

    from evalkit.bots.recorded import RecordedBot
    from evalkit.loaders.table import TableLoader
    from evalkit.pipeline.evaluate import Evaluation, evaluate
    from evalkit.scorers.overlap import ChrF, RougeL, TokenF1
    from evalkit.tracking.runs import MlflowTracker

    uri = fresh_store(work / f"evalkit-{tag}.db", "bench")
    evaluation = Evaluation(
        dataset=TableLoader(str(transcripts), name="twitter_care_x"), bots=[RecordedBot(str(replies), "retrieval")],
        scorers=[TokenF1(), ChrF(), RougeL()], tracker=MlflowTracker(tracking_uri=uri, experiment="bench"),
        slices=("company",), batch_size=4000,
    )
    began = time.perf_counter()
    outcome = evaluate(evaluation, work / f"run-{tag}")
    elapsed = time.perf_counter() - began
    client = mlflow.MlflowClient(uri)
    (bot_run,) = client.search_runs(
        [client.get_experiment_by_name("bench").experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{outcome.run_id}' and tags.`evalkit.bot` = 'retrieval'")
    table = json.loads(Path(client.download_artifacts(bot_run.info.run_id, "per_turn.json", str(work))).read_text())
    kept = sum(all(row[table["columns"].index(s)] is not None for s in ("token_f1", "chrf", "rouge_l"))
               for row in table["data"])
    return elapsed, kept, work / f"run-{tag}" / "results.jsonl"


def run_peer(flat: list[dict], work: Path) -> tuple[float, int]:
    import mlflow
    from mlflow.genai.scorers import scorer

    uri = fresh_store(work / "peer.db", "peer")
    score = reference_metrics()

    @scorer
    def token_f1(outputs, expectations) -> float:
        return score(expectations["reference"], outputs)["token_f1"]

    @scorer
    def chrf(outputs, expectations) -> float:
        return score(expectations["reference"], outputs)["chrf"]

    @scorer
    def rouge_l(outputs, expectations) -> float:
        return score(expectations["reference"], outputs)["rouge_l"]

    data = [{"inputs": {"context": r["context"]}, "outputs": r["reply"], "expectations": {"reference": r["reference"]}}
            for r in flat]
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("peer")
    began = time.perf_counter()
    result = mlflow.genai.evaluate(data=data, scorers=[token_f1, chrf, rouge_l])
    elapsed = time.perf_counter() - began
    traces = mlflow.search_traces(run_id=result.run_id, max_results=len(flat) + 100, return_type="list")
    kept = sum(len({a.name for a in t.info.assessments} & {"token_f1", "chrf", "rouge_l"}) == 3 for t in traces)
    return elapsed, kept


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--data", type=Path, default=TWITTER_DEV, help="the Twitter care dev.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="evalkit-bench-"))
    transcripts, replies, flat = build_data(args.rows, work, args.data)
    n = len(flat)
    results: dict[str, dict] = {}
    floor_s, floor_rows = run_floor(flat, work)
    results["floor (1 process)"] = {"seconds": floor_s, "kept": n}
    load_before = os.getloadavg()[0]
    seconds, kept, log = run_evalkit(transcripts, replies, work, "evalkit")
    results["evalkit"] = {"seconds": seconds, "kept": kept}
    ours = {json.loads(line)["case_id"]: json.loads(line)["scores"] for line in log.read_text().splitlines()
            if json.loads(line)["bot"] == "retrieval"}
    mismatches = sum(ours[r["case_id"]][m] != r[m] for r in floor_rows for m in ("token_f1", "chrf", "rouge_l"))
    if not args.skip_peer:
        seconds, kept = run_peer(flat, work)
        results["mlflow.genai.evaluate (4 workers)"] = {"seconds": seconds, "kept": kept}
    peer = results.get("mlflow.genai.evaluate (4 workers)")
    lines = [f"rows: {n}; machine: {platform.platform()}, {os.cpu_count()} cores "
             f"(load average at start {load_before:.1f}); date {date.today()}",
             f"evalkit values equal to sacrebleu / rouge-score / token F1 on all rows: {mismatches == 0} "
             f"({mismatches} of {3 * n} differ)", "",
             "| contender | seconds | rows/s | rows kept | vs floor time | rows/s vs peer |",
             "|---|---|---|---|---|---|"]
    for name, r in results.items():
        vs_peer = f"{(n / r['seconds']) / (n / peer['seconds']):.0f}x" if peer else "–"
        lines.append(f"| {name} | {r['seconds']:.2f} | {n / r['seconds']:.0f} | {r['kept']} | "
                     f"{r['seconds'] / floor_s:.2f}x | {vs_peer} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
