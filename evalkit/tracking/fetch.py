"""Fetch an earlier run's results from MLflow by run id (tracking-side: this module imports mlflow).

Runs log results.jsonl and summary.json as artifacts of the parent run. For a run logged without them, the nested
runs' per-turn tables are read instead (scores and replies survive; context comes back as one block of text).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from evalkit.compare.sources import RunResults, read_run_dir
from evalkit.errors import InvalidData
from evalkit.reply import Reply
from evalkit.results import ROW_FIELDS, Record

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def fetch_run(run_id: str, tracking_uri: str, into: Path | None = None) -> RunResults:
    import mlflow
    from mlflow.exceptions import MlflowException

    if not _RUN_ID.match(run_id):
        raise InvalidData(f"compare: {run_id!r} is neither a run directory nor an MLflow run id")
    client = mlflow.MlflowClient(tracking_uri)
    try:
        run = client.get_run(run_id)
    except MlflowException as err:
        raise InvalidData(f"compare: MLflow run {run_id} not found at {tracking_uri}: {err.message}") from None
    # A bot's nested run stands for its parent evaluation.
    parent_id = run.data.tags.get("mlflow.parentRunId") or run_id
    into = Path(into or tempfile.mkdtemp(prefix=f"evalkit-{parent_id[:8]}-"))
    names = {a.path for a in client.list_artifacts(parent_id)}
    if "results.jsonl" in names:
        for name in ("results.jsonl", "summary.json"):
            if name in names:
                client.download_artifacts(parent_id, name, str(into))
        return read_run_dir(into, source=run_id, run_id=parent_id)
    return RunResults(run_id, tuple(_records_from_tables(client, parent_id, into)), run_id=parent_id)


def _records_from_tables(client: Any, parent_id: str, into: Path) -> list[Record]:
    parent = client.get_run(parent_id)
    children = client.search_runs([parent.info.experiment_id],
                                  filter_string=f"tags.mlflow.parentRunId = '{parent_id}'", max_results=1000)
    records = []
    for child in children:
        if "per_turn.json" not in {a.path for a in client.list_artifacts(child.info.run_id)}:
            continue
        path = client.download_artifacts(child.info.run_id, "per_turn.json", str(into / child.info.run_id))
        table = json.loads(Path(path).read_text())
        for values in table["data"]:
            records.append(_record(dict(zip(table["columns"], values, strict=True))))
    if not records:
        raise InvalidData(f"compare: MLflow run {parent_id} has neither results.jsonl nor per-turn tables")
    return records


def _record(row: dict[str, Any]) -> Record:
    transcript_id, _, turn = str(row["case_id"]).rpartition(":")
    slices = {k.removeprefix("slice."): str(v) for k, v in row.items() if k.startswith("slice.") and v is not None}
    scores = {k: (None if v is None or v != v else float(v)) for k, v in row.items()
              if k not in ROW_FIELDS and not k.startswith("slice.")}
    error = row.get("error")
    reply = Reply(text=row.get("reply"), latency_s=float(row.get("latency_s") or 0.0), error=error or None,
                  handoff=row.get("handoff"))
    return Record(bot=row["bot"], case_id=row["case_id"], transcript_id=transcript_id,
                  turn_index=int(turn) if turn.isdigit() else -1, slices=slices,
                  context=({"role": "context", "text": row.get("context") or ""},),
                  reference=row.get("reference") or "", reply=reply, scores=scores,
                  expected_handoff=row.get("expected_handoff"))
