"""The dashboard page: bot versions across evaluations, headline first, then the charts, how far to trust each score,
and the links to MLflow."""

from __future__ import annotations

import html
from collections.abc import Sequence

from evalkit.report.charts import every_chart
from evalkit.report.headline import headline
from evalkit.report.html import Link, page
from evalkit.summaries.domain import flags_outside
from evalkit.summaries.versions import VersionResult

NOT_MEASURED = "not measured against human ratings"


def render_dashboard(versions: Sequence[VersionResult], experiment: str, when: str, links: Sequence[Link],
                     slice_key: str = "intent") -> str:
    datasets = sorted({v.dataset for v in versions if v.dataset})
    meta = [when, f"experiment {experiment}", f"dataset {', '.join(datasets) or 'unknown'}",
            f"{len(versions)} bot versions: " + ", ".join(v.label for v in versions)]
    return page(f"Bot versions vs human agents: {experiment}", meta, headline(versions),
                every_chart(versions, slice_key), links, trust_html(versions))


def trust_html(versions: Sequence[VersionResult]) -> str:
    """Each charted scorer (the ranking one and those with parity) with its agreement with people, as the latest
    evaluation that used it recorded it, and that evaluation's domain check of a trained scorer."""
    said: dict[str, str] = {}
    domain: dict[str, str] = {}
    for v in versions:  # oldest first: a later evaluation's measurement wins
        for scorer in (v.primary, *v.parity_scorers()):
            said[scorer] = v.validity.get(scorer, said.get(scorer, NOT_MEASURED))
            domain[scorer] = v.domain.get(scorer, "")  # a check belongs to its run: the latest one says it
    if not said:
        return ""

    def line(scorer: str) -> str:
        check = domain[scorer]
        flag = "⚠ " if flags_outside(check) else ""
        return html.escape(said[scorer] + (f"; {flag}{check}" if check else ""))

    items = "".join(f"<li><b>{html.escape(s)}</b>: {line(s)}</li>" for s in said)
    return f'<h2 id="trust">How far to trust each score (agreement with human ratings)</h2><ul>{items}</ul>'
