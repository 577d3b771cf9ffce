"""`evalkit audit pull`: the reviewers' verdicts read back from MLflow, measured against the scorers and each other,
written as agreement.md / agreement.json, exported as labelled data (`evalkit train recipe=qa_verdicts`) and as a
rated set (`evalkit validate`), and logged as an MLflow run beside the audited one."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from evalkit.audit.agreement import AgreementReport, Estimate, agreement
from evalkit.audit.queues import Verdict, bot_runs, read_verdicts
from evalkit.audit.source import AuditedRun
from evalkit.errors import InvalidData
from evalkit.files import write_text
from evalkit.results import Record

RATING = {"bad": 1, "acceptable": 2, "good": 3}  # the verdict as a rating in the exported rated set
FILES = ("agreement.md", "agreement.json", "verdicts.jsonl", "rated.jsonl")


def pull(run: AuditedRun, out_dir: Path, resamples: int, confidence: float, seed: int) -> AgreementReport:
    """Call with MLflow pointed at the audited run's store."""
    import mlflow

    if not run.run_id:
        raise InvalidData(f"{run.results.source}: this run is not in MLflow, so it has no reviews to pull")
    client = mlflow.MlflowClient()
    experiment = client.get_run(run.run_id).info.experiment_id
    verdicts = read_verdicts(experiment, bot_runs(experiment, run.run_id).values())
    if not verdicts:
        raise InvalidData(f"{run.results.source}: no reviewer verdicts yet on its traces (`evalkit review`, or the "
                          "MLflow review UI, writes them)")
    report = agreement(verdicts, run.results.higher_is_better, run.thresholds, resamples, confidence, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(out_dir / "agreement.json", json.dumps(report.as_json(), indent=1, allow_nan=True))
    write_text(out_dir / "agreement.md", markdown(report, run.results.source))
    records = {(r.bot, r.case_id): r for r in run.results.records}
    write_text(out_dir / "verdicts.jsonl", labelled(verdicts, records))
    write_text(out_dir / "rated.jsonl", rated(verdicts, records))
    log_run(client, experiment, run.run_id, report, out_dir)
    return report


def labelled(verdicts: Sequence[Verdict], records: dict[tuple[str, str], Record]) -> str:
    """One example per verdict: the reply, its conversation, the verdict (evalkit.classifiers.data format)."""
    lines = []
    for v in verdicts:
        record = records.get((v.bot, v.case_id))
        if record is None or record.reply.text is None:
            continue  # an error record has no reply to learn from
        lines.append(json.dumps({"task": "qa_verdicts", "text": record.reply.text, "context": _context(record),
                                 "label": v.verdict, "group": record.transcript_id, "reviewer": v.reviewer,
                                 "bot": v.bot, "case_id": v.case_id}, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def rated(verdicts: Sequence[Verdict], records: dict[tuple[str, str], Record]) -> str:
    """The reviewed replies as a rated set (datasets/rated/README.md): one item per case, one candidate per bot,
    the aspect `verdict` rated 1 (bad) to 3 (good) by each reviewer."""
    items: dict[str, dict] = {}
    for v in verdicts:
        record = records.get((v.bot, v.case_id))
        if record is None or record.reply.text is None:
            continue
        item = items.setdefault(v.case_id, {"id": v.case_id, "context": [dict(t) for t in record.context],
                                            "reference": record.reference, "candidates": {},
                                            "meta": dict(record.slices)})
        candidate = item["candidates"].setdefault(v.bot, {"id": v.bot, "text": record.reply.text,
                                                          "ratings": {"verdict": {}}})
        candidate["ratings"]["verdict"][v.reviewer] = RATING[v.verdict]
    return "".join(json.dumps({**item, "candidates": list(item["candidates"].values())}, ensure_ascii=False) + "\n"
                   for item in items.values())


def _context(record: Record) -> str:
    return "\n".join(f"{t['role']}: {t['text']}" for t in record.context)


def log_run(client, experiment: str, audited: str, report: AgreementReport, out_dir: Path) -> str:
    from mlflow.entities import Metric

    run = client.create_run(experiment, run_name="audit pull", tags={"evalkit.audited_run_id": audited,
                                                                     "evalkit.kind": "audit"})
    metrics = {"verdicts": report.verdicts, "cases": report.cases}
    for s in report.scorers:
        metrics.update(_estimate(f"qa/{s.scorer}/kappa", s.kappa))
        metrics.update(_estimate(f"qa/{s.scorer}/agreement", s.agreement))
    metrics.update(_estimate("reviewers/alpha", report.alpha))
    for p in report.pairs:
        metrics.update(_estimate(f"reviewers/{p.reviewers[0]}_vs_{p.reviewers[1]}/kappa", p.kappa))
    client.log_batch(run.info.run_id, metrics=[Metric(k, float(v), 0, 0) for k, v in metrics.items()
                                               if not math.isnan(v)])
    for name in FILES:
        client.log_artifact(run.info.run_id, str(out_dir / name))
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id


def _estimate(name: str, e: Estimate) -> dict[str, float]:
    return {name: e.value, f"{name}_ci_low": e.low, f"{name}_ci_high": e.high}


def _fmt(e: Estimate) -> str:
    if math.isnan(e.value):
        return f"– (n {e.n})"
    interval = "" if math.isnan(e.low) else f" [{e.low:.2f}, {e.high:.2f}]"
    return f"{e.value:.2f}{interval} (n {e.n})"


def markdown(report: AgreementReport, source: str) -> str:
    lines = [f"# QA verdicts for {source}", "",
             f"{report.verdicts} verdicts on {report.cases} cases by {', '.join(report.reviewers)}: "
             + ", ".join(f"{k} {v}" for k, v in sorted(report.verdict_counts.items())), "",
             "## QA vs scorers (verdict bad = fail)", "",
             "| scorer | Cohen's kappa [95% CI] | raw agreement | QA pass: scorer pass / fail "
             "| QA fail: scorer pass / fail |", "|---|---|---|---|---|"]
    lines += [f"| {s.scorer} | {_fmt(s.kappa)} | {_fmt(s.agreement)} | {s.confusion[0][0]} / {s.confusion[0][1]} "
              f"| {s.confusion[1][0]} / {s.confusion[1][1]} |" for s in report.scorers]
    lines += ["", "## Between reviewers", "", f"Krippendorff's alpha (ordinal): {_fmt(report.alpha)}", ""]
    for p in report.pairs:
        lines += [f"{p.reviewers[0]} vs {p.reviewers[1]}: Cohen's kappa {_fmt(p.kappa)}", "",
                  f"| {p.reviewers[0]} \\ {p.reviewers[1]} | good | acceptable | bad |", "|---|---|---|---|"]
        lines += [f"| {label} | " + " | ".join(str(n) for n in row) + " |"
                  for label, row in zip(("good", "acceptable", "bad"), p.confusion, strict=True)]
        lines.append("")
    lines += ["## Failure categories", "", "| bot | intent | category | verdicts |", "|---|---|---|---|"]
    lines += [f"| {b} | {i} | {c} | {n} |" for b, i, c, n in report.categories]
    lines += ["", "## Disagreements: the scorer passed, QA said bad", "", "| bot | case | reviewer | scorer | value |",
              "|---|---|---|---|---|"]
    lines += [f"| {d.bot} | {d.case_id} | {d.reviewer} | {d.scorer} | {d.value} |" for d in report.disagreements]
    return "\n".join(lines) + "\n"


def print_report(report: AgreementReport, console: Console) -> None:
    table = Table(title=f"QA vs scorers: {report.verdicts} verdicts on {report.cases} cases")
    for column in ("scorer", "kappa [95% CI]", "raw agreement", "QA pass: pass/fail", "QA fail: pass/fail"):
        table.add_column(column)
    for s in report.scorers:
        table.add_row(s.scorer, _fmt(s.kappa), _fmt(s.agreement), f"{s.confusion[0][0]}/{s.confusion[0][1]}",
                      f"{s.confusion[1][0]}/{s.confusion[1][1]}")
    console.print(table)
    console.print(f"reviewers {', '.join(report.reviewers)}: Krippendorff's alpha (ordinal) {_fmt(report.alpha)}")
    for p in report.pairs:
        console.print(f"  {p.reviewers[0]} vs {p.reviewers[1]}: Cohen's kappa {_fmt(p.kappa)}")
    categories = Table("bot", "intent", "failure category", "verdicts", title="failure categories")
    for b, i, c, n in report.categories:
        categories.add_row(b, i, c, str(n))
    console.print(categories)
    console.print(f"{len(report.disagreements)} disagreements (a scorer passed what QA called bad): agreement.md")
