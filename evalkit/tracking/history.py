"""Bot versions read back from MLflow, the dashboard's source of truth: every bot run (a nested run with a `version`
param) of an experiment or of the named runs, with its metrics, its `slices.json` table, its logged model and any
audit page, oldest first. Only the latest evaluation of each bot version is kept."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import InvalidData
from evalkit.summaries.domain import DOMAIN_TAG
from evalkit.summaries.trust import VALIDITY_TAG
from evalkit.summaries.versions import SliceRow, VersionResult

SLICES = "slices.json"
AUDIT = "audit.html"


@dataclass(frozen=True)
class History:
    experiment_id: str
    experiment: str
    versions: tuple[VersionResult, ...]


def read_history(tracking_uri: str, experiment: str | None = None, run_ids: Sequence[str] = (),
                 into: Path | None = None) -> History:
    """The versions of the named runs (parent or bot runs), else of the experiment (by name or id), else of the
    experiment of the latest run in the store. Bad names are one-line InvalidData."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # a bar per small table is noise
    client = MlflowClient(tracking_uri)
    try:
        if run_ids:
            runs = _runs_named(client, run_ids)
            experiment_id = runs[-1].info.experiment_id if runs else ""
        else:
            experiment_id = _experiment_id(client, experiment)
            runs = _bot_runs(client, [experiment_id])
    except MlflowException as err:
        raise InvalidData(f"dashboard: {tracking_uri}: {err.message}") from None
    if not runs:
        raise InvalidData(f"dashboard: no evaluated bot versions in {tracking_uri} "
                          f"({'runs ' + ', '.join(run_ids) if run_ids else 'experiment ' + experiment_id})")
    name = client.get_experiment(experiment_id).name
    models = {m.source_run_id: m.model_id for m in client.search_logged_models(
        list({r.info.experiment_id for r in runs}), max_results=1000)}
    latest: dict[tuple[str, str], Any] = {}
    for run in sorted(runs, key=lambda r: r.info.start_time):
        latest[(run.data.params["bot"], run.data.params["version"])] = run
    ordered = sorted(latest.values(), key=lambda r: r.info.start_time)
    evaluations = _Evaluations(client)
    versions = tuple(_version(client, run, models.get(run.info.run_id), evaluations, into) for run in ordered)
    return History(experiment_id, name, versions)


def _experiment_id(client: Any, experiment: str | None) -> str:
    if experiment:
        found = client.get_experiment_by_name(experiment)
        if found is None and experiment.isdigit():
            found = client.get_experiment(experiment)
        if found is None:
            raise InvalidData(f"dashboard: no experiment {experiment!r} in the store")
        return found.experiment_id
    everything = [e.experiment_id for e in client.search_experiments()]
    latest = client.search_runs(everything, "tags.`evalkit.bot` LIKE '%'", order_by=["attributes.start_time DESC"],
                                max_results=1)
    if not latest:
        raise InvalidData("dashboard: the store holds no evalkit run yet; run `evalkit run` first")
    return latest[0].info.experiment_id


def _bot_runs(client: Any, experiments: list[str], parent: str | None = None) -> list[Any]:
    where = "tags.`evalkit.bot` LIKE '%'" + (f" and tags.`mlflow.parentRunId` = '{parent}'" if parent else "")
    return [r for r in client.search_runs(experiments, where, max_results=5000) if "version" in r.data.params]


def _runs_named(client: Any, run_ids: Sequence[str]) -> list[Any]:
    from mlflow.exceptions import MlflowException

    found = []
    for run_id in run_ids:
        try:
            run = client.get_run(run_id)
        except MlflowException:
            raise InvalidData(f"dashboard: runs: no MLflow run {run_id!r}") from None
        if "evalkit.bot" in run.data.tags:
            found += [run] if "version" in run.data.params else []
        else:  # an evaluation's parent run stands for its bots
            found += _bot_runs(client, [run.info.experiment_id], parent=run.info.run_id)
    return found


class _Evaluations:
    """What a bot run's parent (its evaluation) says, read once per parent: the bots of one evaluation share it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.read: dict[str, tuple[frozenset[str], dict[str, str], dict[str, str]]] = {}

    def of(self, parent: str) -> tuple[frozenset[str], dict[str, str], dict[str, str]]:
        """(its artifact paths, scorer -> measured validity, scorer -> domain check), the last two from its tags"""
        if parent not in self.read:
            tags = self.client.get_run(parent).data.tags
            self.read[parent] = (frozenset(a.path for a in self.client.list_artifacts(parent)),
                                 *({k.removeprefix(prefix): v for k, v in tags.items() if k.startswith(prefix)}
                                   for prefix in (VALIDITY_TAG, DOMAIN_TAG)))
        return self.read[parent]


def _version(client: Any, run: Any, model_id: str | None, evaluations: _Evaluations, into: Path | None
             ) -> VersionResult:
    import tempfile

    tags, params = run.data.tags, run.data.params
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    slices: tuple[SliceRow, ...] = ()
    if SLICES in artifacts:
        target = into or Path(tempfile.mkdtemp(prefix="evalkit-dashboard-"))
        path = Path(client.download_artifacts(run.info.run_id, SLICES, str(target / run.info.run_id)))
        table = json.loads(path.read_text())
        slices = tuple(SliceRow.of(dict(zip(table["columns"], row, strict=True))) for row in table["data"])
    parent = tags.get("mlflow.parentRunId")
    # The evaluation's tags (on the parent run) say how far each scorer agrees with people, and whether its data
    # was within a trained scorer's domain.
    parent_artifacts, validity, domain = evaluations.of(parent) if parent else (frozenset(), {}, {})
    audit = next((run_id for run_id, names in ((run.info.run_id, artifacts), (parent, parent_artifacts))
                  if AUDIT in names), None)
    return VersionResult(
        bot=params["bot"], version=params["version"], dataset=tags.get("evalkit.dataset", ""),
        started_ms=run.info.start_time, metrics=dict(run.data.metrics), slices=slices,
        primary=tags.get("evalkit.primary_scorer", "chrf"),
        directions=json.loads(tags.get("evalkit.directions", "{}")), run_id=run.info.run_id, parent_run_id=parent,
        experiment_id=run.info.experiment_id, model_id=model_id, audit=audit, validity=validity, domain=domain)
