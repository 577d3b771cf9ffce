"""report.html of a run: the title and facts, the generated headline, the charts of its bots, then the markdown
report itself."""

from __future__ import annotations

from evalkit.report.charts import every_chart
from evalkit.report.headline import headline
from evalkit.report.html import markdown_html, page
from evalkit.report.markdown import ReportHeader, report_title
from evalkit.summaries.run import RunSummary
from evalkit.summaries.versions import from_summary


def render_run_html(summary: RunSummary, report_md: str, header: ReportHeader) -> str:
    versions = from_summary(summary, header.run_id)
    slice_key = "intent" if any(r.slice_key == "intent" for v in versions for r in v.slices) else next(
        (r.slice_key for v in versions for r in v.slices if r.slice_key != "all"), "intent")
    # The markdown's own title and facts line are the page's header already.
    body = report_md.split("\n", 4)[4] if report_md.startswith("# ") else report_md
    return page(report_title(summary), header.facts(summary), headline(versions), every_chart(versions, slice_key),
                body=markdown_html(body))
