"""Per-case traces in a real embedded MLflow store: one per (bot, case), linked to the bot's run, in the
transcript's session, with every score as an assessment; audit mode traces only the audit's picks."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from evalkit.judges.criterion import CriterionJudge
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.pipeline.rescore import rescore
from evalkit.results import ResultsLog
from evalkit.scorers.overlap import ChrF, TokenF1
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot, ScriptedJudge
from evalkit.tracking.runs import MlflowTracker
from evalkit.tracking.store import using
from evalkit.tracking.traces import TRACE_MODES, run_traces
from tests.data import write_transcripts


def judge() -> CriterionJudge:
    return CriterionJudge(ScriptedJudge(reply='{"score": 4, "rationale": "answers the question"}'), "helpfulness",
                          name="judge_helpfulness")


def traced_run(tmp_path: Path, mode: str, run_dir: Path | None = None, data: Path | None = None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    data = data or write_transcripts(tmp_path / "transcripts.jsonl")
    tracker = MlflowTracker(store_dir=str(tmp_path / "store"), traces=mode)
    outcome = evaluate(Evaluation(dataset=TableLoader(str(data), name="mini"), bots=[EchoBot()],
                                  scorers=[ChrF(), judge()], tracker=tracker, stats=StatsSettings(n_resamples=20),
                                  params={"judge.model": "scripted-model"}),
                       run_dir or tmp_path / "run")
    return outcome, tracker


def bot_runs(tracker: MlflowTracker, parent: str) -> dict[str, str]:
    client = MlflowClient(tracker.resolved_uri())
    experiment = client.get_run(parent).info.experiment_id
    return {r.data.tags["evalkit.bot"]: r.info.run_id
            for r in client.search_runs([experiment], f"tags.mlflow.parentRunId = '{parent}'")}


def traces_of(tracker: MlflowTracker, run_id: str) -> list:
    with using(tracker.resolved_uri()):
        experiment = MlflowClient().get_run(run_id).info.experiment_id
        return mlflow.search_traces(locations=[experiment], run_id=run_id, return_type="list", max_results=1000)


def test_every_case_is_a_trace_of_its_bots_run_with_scores_as_assessments(tmp_path: Path):
    outcome, tracker = traced_run(tmp_path, "all")
    runs = bot_runs(tracker, outcome.run_id)
    records = {(r.bot, r.case_id): r for r in ResultsLog(outcome.run_dir / "results.jsonl")}
    seen = set()
    for bot, run_id in runs.items():
        for trace in traces_of(tracker, run_id):
            info, tags = trace.info, trace.info.tags
            record = records[(bot, tags["evalkit.case_id"])]
            seen.add((bot, record.case_id))
            assert tags["evalkit.bot"] == bot and tags["evalkit.slice.intent"] == record.slices["intent"]
            assert tags["evalkit.bot_version"] == outcome.summary.fingerprints[bot]
            assert info.trace_metadata["mlflow.trace.session"] == record.transcript_id
            root = next(s for s in trace.data.spans if s.parent_id is None)
            assert root.span_type == "CHAT_MODEL"
            assert root.inputs["messages"][-1]["content"] == record.context[-1]["text"]
            assert root.outputs["reply"] == record.reply.text and root.outputs["error"] == record.reply.error
            assert (info.state == "ERROR") == (record.reply.error is not None)
            feedback = {a.name: a for a in info.assessments if a.feedback is not None}
            assert {n: a.value for n, a in feedback.items()} == dict(record.scores)
            if "judge_helpfulness" in feedback:
                judged = feedback["judge_helpfulness"]
                assert judged.source.source_type == "LLM_JUDGE" and judged.source.source_id == "scripted-model"
                assert judged.rationale == "answers the question"
                (span,) = [s for s in trace.data.spans if s.parent_id == root.span_id]
                assert span.name == "judge judge_helpfulness" and span.outputs["rationale"] == "answers the question"
            if "chrf" in feedback:
                assert feedback["chrf"].source.source_type == "CODE"
            (expected,) = [a for a in info.assessments if a.name == "expected_response"]
            assert expected.value == record.reference and expected.source.source_type == "HUMAN"
    assert seen == set(records)  # every (bot, case), the human row and the error record included


def test_audit_mode_traces_the_audit_picks_and_none_traces_nothing(tmp_path: Path):
    outcome, tracker = traced_run(tmp_path / "audit", "audit")
    runs = bot_runs(tracker, outcome.run_id)
    picked = [json.loads(line) for line in (outcome.run_dir / "traces" / "echo.jsonl").read_text().splitlines()]
    assert {t.info.tags["evalkit.case_id"] for t in traces_of(tracker, runs["echo"])} == {p["case_id"] for p in picked}
    assert traces_of(tracker, runs["human"]) == []  # the audit reviews bots, not the reference
    outcome, tracker = traced_run(tmp_path / "none", "none")
    assert all(traces_of(tracker, run) == [] for run in bot_runs(tracker, outcome.run_id).values())
    assert not (outcome.run_dir / "traces").exists()


def test_a_resumed_run_replaces_its_traces_and_a_rescore_traces_its_own_run(tmp_path: Path):
    outcome, tracker = traced_run(tmp_path, "all")
    again, _ = traced_run(tmp_path, "all", run_dir=outcome.run_dir)
    runs = bot_runs(tracker, again.run_id)
    with using(tracker.resolved_uri()):
        experiment = MlflowClient().get_run(again.run_id).info.experiment_id
        everything = mlflow.search_traces(locations=[experiment], return_type="list", max_results=1000)
    assert len(everything) == len(ResultsLog(outcome.run_dir / "results.jsonl").read())  # no copies left behind

    evaluation = Evaluation(dataset=TableLoader(str(tmp_path / "transcripts.jsonl"), name="mini"), bots=(),
                            scorers=[TokenF1()], tracker=tracker, stats=StatsSettings(n_resamples=20))
    rescored = rescore(evaluation, outcome.run_dir, tmp_path / "rescored")
    echo = traces_of(tracker, bot_runs(tracker, rescored.run_id)["echo"])
    assert echo and all({a.name for a in t.info.assessments if a.feedback} <= {"token_f1"} for t in echo)
    assert any(a.name == "token_f1" for t in echo for a in t.info.assessments)
    assert len(traces_of(tracker, runs["echo"])) == len(echo)  # the original run keeps its own


def test_traces_hold_only_redacted_text(tmp_path: Path):
    data = tmp_path / "pii.jsonl"
    data.write_text(json.dumps({"id": "p1", "meta": {"company": "acme", "intent": "billing"}, "turns": [
        {"role": "customer", "text": "my email is jane.doe@example.com, call +1 415 555 0134"},
        {"role": "agent", "text": "thanks jane.doe@example.com, I have updated it"}]}) + "\n")
    outcome, tracker = traced_run(tmp_path, "all", data=data)
    dumped = "".join(t.to_json() for run in bot_runs(tracker, outcome.run_id).values()
                     for t in traces_of(tracker, run))
    assert "<EMAIL_1>" in dumped
    assert "jane.doe@example.com" not in dumped and "555 0134" not in dumped


def test_trace_mode_is_checked():
    assert TRACE_MODES == ("all", "audit", "none")
    with pytest.raises(Exception, match=r"tracker\.traces: must be one of all, audit, none, got 'some'"):
        MlflowTracker(traces="some")


def test_run_traces_finds_each_bot_and_case(tmp_path: Path):
    outcome, tracker = traced_run(tmp_path, "all")
    runs = bot_runs(tracker, outcome.run_id)
    with using(tracker.resolved_uri()):
        experiment = MlflowClient().get_run(outcome.run_id).info.experiment_id
        found = run_traces(experiment, runs["echo"])
    assert set(found) == {(r.bot, r.case_id) for r in ResultsLog(outcome.run_dir / "results.jsonl")
                          if r.bot == "echo"}


def test_the_embedded_store_is_journalled_in_write_ahead_mode(tmp_path: Path):
    import sqlite3

    tracker = MlflowTracker(store_dir=str(tmp_path / "store"))
    with tracker.active():
        pass
    with sqlite3.connect(tmp_path / "store" / "mlflow.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_merged_run_traces_every_case_of_its_shards(tmp_path: Path):
    data = write_transcripts(tmp_path / "transcripts.jsonl")
    tracker = MlflowTracker(store_dir=str(tmp_path / "store"), traces="all")

    def evaluation(**where) -> Evaluation:
        return Evaluation(dataset=TableLoader(str(data), name="mini"), bots=[EchoBot()], scorers=[ChrF()],
                          tracker=tracker, stats=StatsSettings(n_resamples=20), **where)

    shards = [evaluate(evaluation(shard=f"{i}/2"), tmp_path / f"shard{i}").run_dir for i in range(2)]
    merged = evaluate(evaluation(merge=[str(s) for s in shards]), tmp_path / "merged")
    runs = bot_runs(tracker, merged.run_id)
    traced = {(bot, t.info.tags["evalkit.case_id"]) for bot, run in runs.items() for t in traces_of(tracker, run)}
    assert traced == {(r.bot, r.case_id) for r in ResultsLog(merged.run_dir / "results.jsonl")}
    assert len({case for _, case in traced}) == 6  # the shards' cases together
