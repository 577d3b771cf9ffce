"""report.html of `evalkit compare`: the verdicts as the headline, a chart of the paired differences per candidate
(every overall row and each significant slice, with its 95 % CI), then comparison.md itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit.compare.paired import CandidateComparison, Settings
from evalkit.report.charts import WIDTH
from evalkit.report.comparison import shown_rows, slice_of, verdicts
from evalkit.report.html import markdown_html, page

COLOURS = {"better": "#2ca02c", "worse": "#d62728"}


def differences(comparison: CandidateComparison, alpha: float) -> Any | None:
    import plotly.graph_objects as go

    rows = [r for r in shown_rows(comparison, alpha) if r.diff == r.diff]
    if not rows:
        return None
    # Scorers have their own units: one panel row per scorer would be cleaner, but a shared axis per scorer needs
    # a subplot each; rows are labelled with the scorer and kept in table order instead.
    figure = go.Figure(go.Scatter(
        x=[r.diff for r in rows], y=[f"{r.scorer} · {slice_of(r)}" for r in rows], mode="markers",
        marker={"size": 10, "color": [COLOURS.get(r.verdict(alpha), "#7f7f7f") for r in rows]},
        error_x={"type": "data", "symmetric": False, "array": [r.ci_high - r.diff for r in rows],
                 "arrayminus": [r.diff - r.ci_low for r in rows]},
        meta=f"diff/{comparison.candidate}", name="candidate − baseline"))
    figure.add_vline(x=0, line_color="#999")
    figure.update_layout(title=f"{comparison.candidate} − {comparison.baseline} (paired, 95 % CI; red: significantly "
                               "worse, green: better)", width=WIDTH, height=160 + 28 * len(rows),
                         template="plotly_white", yaxis={"autorange": "reversed"},
                         margin={"l": 260, "r": 30, "t": 70, "b": 50})
    return figure


def render_comparison_html(comparisons: Sequence[CandidateComparison], settings: Settings, markdown: str,
                           meta: Sequence[str]) -> str:
    title = "Comparison: " + ", ".join(f"{c.candidate} vs {c.baseline}" for c in comparisons)
    headline = [line for c in comparisons for line in verdicts(c, settings.alpha)]
    charts = [figure for c in comparisons if (figure := differences(c, settings.alpha)) is not None]
    body = markdown.split("\n", 1)[1] if markdown.startswith("# ") else markdown
    return page(title, meta, headline, charts, body=markdown_html(body))
