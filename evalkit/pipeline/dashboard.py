"""`evalkit dashboard`: read the bot versions from MLflow, write dashboard.html, log it as a dashboard run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from evalkit.files import write_text
from evalkit.report.dashboard import render_dashboard
from evalkit.report.html import Link
from evalkit.summaries.versions import VersionResult
from evalkit.tracking.dashboards import log_dashboard
from evalkit.tracking.history import History, read_history
from evalkit.tracking.runs import MlflowTracker

PAGE = "dashboard.html"


@dataclass(frozen=True)
class DashboardRequest:
    tracker: MlflowTracker
    experiment: str | None = None  # name or id; None: the experiment of the latest evaluation
    runs: Sequence[str] = ()  # parent or bot run ids; they win over `experiment`
    ui_url: str = "http://127.0.0.1:5000"  # where `mlflow ui` serves a store no browser can open (SQLite)
    slice_key: str = "intent"
    track: bool = True


@dataclass(frozen=True)
class DashboardResult:
    page: Path
    history: History
    run_id: str | None


def links(history: History, base: str) -> list[Link]:
    def at(path: str) -> str:
        return f"{base.rstrip('/')}/{path}"

    found = []
    for v in history.versions:
        where = f"#/experiments/{v.experiment_id}"
        found.append(Link(f"{v.label}: bot run", at(f"{where}/runs/{v.run_id}")))
        if v.model_id:
            found.append(Link(f"{v.label}: logged model (version page)", at(f"{where}/models/{v.model_id}")))
        if v.audit:
            found.append(Link(f"{v.label}: audit page", at(f"get-artifact?path=audit.html&run_uuid={v.audit}")))
    return found


def ui_base(tracking_uri: str, fallback: str) -> str:
    return tracking_uri if tracking_uri.startswith(("http://", "https://")) else fallback


def build_dashboard(request: DashboardRequest, out_dir: Path) -> DashboardResult:
    uri = request.tracker.resolved_uri()
    with request.tracker.active():
        pass  # the store answers (an embedded one is created or upgraded); what is read from it is named below
    history = read_history(uri, request.experiment, request.runs, out_dir / "fetched")
    versions: Sequence[VersionResult] = history.versions
    out_dir.mkdir(parents=True, exist_ok=True)
    page = write_text(out_dir / PAGE, render_dashboard(
        versions, history.experiment, f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        links(history, ui_base(uri, request.ui_url)), request.slice_key))
    run_id = log_dashboard(request.tracker, history.experiment_id, versions, page) if request.track else None
    return DashboardResult(page, history, run_id)
