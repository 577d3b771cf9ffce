"""Re-score a run's recorded replies with other scorers: no bot is built or called.

The cases come from the run's dataset, loaded again (so scorers see the full case: metadata, labels) and checked
against the digest the run recorded, so replies are never paired with a different version of the data.
"""

from __future__ import annotations

import json
from pathlib import Path

from evalkit.bots.cache import cache_judges
from evalkit.evaluate import Evaluation, Outcome, publish
from evalkit.replay import expand
from evalkit.results import Record, ResultsLog
from evalkit.runner import score_replies
from evalkit.transcript import InvalidData


def rescore(evaluation: Evaluation, source: Path, run_dir: Path) -> Outcome:
    source_log = ResultsLog(source / "results.jsonl")
    if not source_log.path.exists():
        raise InvalidData(f"{source_log.path}: not found; rescore needs a run directory with a results log")
    dataset = evaluation.dataset.load()
    recorded = recorded_digest(source)
    if recorded is not None and recorded != dataset.digest:
        raise InvalidData(f"{dataset.path}: changed since run {source} (sha256 {dataset.digest[:12]}…, the run "
                          f"recorded {recorded[:12]}…); point dataset_path at the data the run used")
    by_id = {case.id: case for case in expand(dataset.transcripts, evaluation.policy, evaluation.max_context_turns)}
    old = source_log.read()
    for index, record in enumerate(old):
        if record.case_id not in by_id:
            raise InvalidData(f"{source_log.path}: record {index}, field 'case_id': case {record.case_id!r} is not "
                              f"in dataset {dataset.path}")

    cache_judges(evaluation.scorers, evaluation.cache)  # re-scoring with the same judge costs no call
    run_dir.mkdir(parents=True, exist_ok=True)
    log = ResultsLog(run_dir / "results.jsonl")
    log.repair()
    done = log.done()
    todo = [r for r in old if (r.bot, r.case_id) not in done]
    for start in range(0, len(todo), evaluation.batch_size):
        batch = todo[start:start + evaluation.batch_size]
        cases = [by_id[r.case_id] for r in batch]
        scores = score_replies(evaluation.scorers, cases, [r.reply for r in batch])
        log.append(Record.of(r.bot, case, r.reply, s) for r, case, s in zip(batch, cases, scores, strict=True))

    records = log.read()
    present = {r.case_id for r in records}
    cases = tuple(case for case_id, case in by_id.items() if case_id in present)
    return publish(evaluation, dataset, cases, records, run_dir)


def recorded_digest(source: Path) -> str | None:
    """The dataset digest in the run's summary.json; None for a run that never got that far."""
    summary = source / "summary.json"
    if not summary.exists():
        return None
    return json.loads(summary.read_text()).get("dataset", {}).get("digest")
