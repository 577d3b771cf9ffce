"""The dashboard page: bot versions across evaluations, headline first, then the charts and the links to MLflow."""

from __future__ import annotations

from collections.abc import Sequence

from evalkit.report.charts import every_chart
from evalkit.report.headline import headline
from evalkit.report.html import Link, page
from evalkit.summaries.versions import VersionResult


def render_dashboard(versions: Sequence[VersionResult], experiment: str, when: str, links: Sequence[Link],
                     slice_key: str = "intent") -> str:
    datasets = sorted({v.dataset for v in versions if v.dataset})
    meta = [when, f"experiment {experiment}", f"dataset {', '.join(datasets) or 'unknown'}",
            f"{len(versions)} bot versions: " + ", ".join(v.label for v in versions)]
    return page(f"Bot versions vs human agents: {experiment}", meta, headline(versions),
                every_chart(versions, slice_key), links)
