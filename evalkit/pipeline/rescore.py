"""Re-score a run's recorded replies with other scorers: no bot is built or called.

The cases come from the run's dataset, loaded again (so scorers see the full case: metadata, labels) and checked
against the digest the run recorded, so replies are never paired with a different version of the data.
"""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path

from evalkit.bots.cache import cache_judges
from evalkit.errors import InvalidData
from evalkit.pipeline.evaluate import Evaluation, check_names, summary_of
from evalkit.pipeline.plan import survey
from evalkit.pipeline.publish import Outcome, publish
from evalkit.pipeline.runner import score_replies, scorers_for
from evalkit.replay import expand
from evalkit.reply import as_answer
from evalkit.results import Record, ResultsLog
from evalkit.summaries.columns import RecordColumns


def rescore(evaluation: Evaluation, source: Path, run_dir: Path) -> Outcome:
    check_names("scorer", evaluation.scorers)
    source_log = ResultsLog(source / "results.jsonl")
    if not source_log.path.exists():
        raise InvalidData(f"{source_log.path}: not found; rescore needs a run directory with a results log")
    dataset = evaluation.dataset.load()
    recorded = recorded_digest(source)
    if recorded is not None and recorded != dataset.digest:
        raise InvalidData(f"{dataset.path}: changed since run {source} (sha256 {dataset.digest[:12]}…, the run "
                          f"recorded {recorded[:12]}…); point dataset_path at the data the run used")
    replay = (evaluation.policy, evaluation.max_context_turns, evaluation.slices)
    plan = survey(dataset.transcripts, *replay)
    evaluation.redactor.keep_agent_accounts(plan.agent_accounts)
    # The cases as the run showed them (the replies in the log are redacted already). Re-scoring holds the old log
    # and its cases in memory: it is no replay, and its scorers may need any case at any time.
    by_id = {c.id: c for c in expand(evaluation.redactor.transcripts(dataset.transcripts), *replay)}
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
    for reply_is_reference, group in groupby(todo, key=lambda r: r.reply_is_reference):
        scorers = scorers_for(evaluation.scorers, reply_is_reference)
        group = list(group)
        for start in range(0, len(group), evaluation.batch_size):
            batch = group[start:start + evaluation.batch_size]
            cases = [by_id[r.case_id] for r in batch]
            # Logs written before empty replies were failures get today's rule, as a fresh run would.
            replies = [as_answer(r.reply, evaluation.truncated) for r in batch]
            scores = score_replies(scorers, cases, replies)
            log.append(Record.of(r.bot, case, reply, s, r.reply_is_reference)
                       for r, case, reply, s in zip(batch, cases, replies, scores, strict=True))

    present = {r.case_id for r in old}
    case_order = {case_id: i for i, case_id in enumerate(c for c in plan.case_order if c in present)}
    records = RecordColumns.of(log, case_order, list(dict.fromkeys(r.bot for r in old)))
    summary = summary_of(evaluation, records, dataset, len(dataset.transcripts))
    return publish(summary, records, log, case_order, run_dir, evaluation.tracker, evaluation.params,
                   evaluation.tags)


def recorded_digest(source: Path) -> str | None:
    """The dataset digest in the run's summary.json; None for a run that never got that far."""
    summary = source / "summary.json"
    if not summary.exists():
        return None
    return json.loads(summary.read_text()).get("dataset", {}).get("digest")
