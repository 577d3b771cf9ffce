"""The charts of dashboards and HTML reports (plotly), each from bot versions (evalkit.summaries.versions), in the order
they were evaluated. Every chart is returned with a title and only when there is something to draw."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from evalkit.report.formatting import ci, percent, signed
from evalkit.summaries.versions import VersionResult

WIDTH = 1180  # fits a 1280 px laptop window with the page's margins
COLOURS = {"bot": "#1f77b4", "human": "#7f7f7f", "got": "#2ca02c", "missed": "#d62728", "unnecessary": "#ff7f0e"}


def _figure(title: str, height: int = 380) -> Any:
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.update_layout(title=title, width=WIDTH, height=height, margin={"l": 70, "r": 30, "t": 70, "b": 60},
                         template="plotly_white", legend={"orientation": "h", "y": -0.2})
    return figure


def _grid(title: str, titles: Sequence[str], height: int = 360) -> Any:
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=len(titles), subplot_titles=list(titles), horizontal_spacing=0.08)
    figure.update_layout(title=title, width=WIDTH, height=height, margin={"l": 60, "r": 30, "t": 90, "b": 60},
                         template="plotly_white", showlegend=False)
    return figure


def _finite(value: float) -> bool:
    return not math.isnan(value)


def trend(versions: Sequence[VersionResult]) -> Any | None:
    """Key metrics across versions with their 95 % intervals as bands: the primary scorer, parity with the human
    agents, handoff recall."""
    import plotly.graph_objects as go

    primary = versions[0].primary
    panels = [(f"{primary} (mean, 95 % CI)", f"{primary}/mean", f"{primary}/ci_low", f"{primary}/ci_high")]
    panels += [(f"{s}: bot − human (95 % CI)", f"parity/{s}/diff", f"parity/{s}/ci_low", f"parity/{s}/ci_high")
               for s in dict.fromkeys(s for v in versions for s in v.parity_scorers())][:1]
    handoff = next((h for v in versions if (h := v.handoff_scorer())), None)
    if handoff:
        panels.append(("handoff recall (needed a human → got one)", f"{handoff}/recall", "", ""))
    panels = [p for p in panels if any(_finite(v.metric(p[1])) for v in versions)]
    if not panels:
        return None
    figure = _grid("Is it improving version by version?", [p[0] for p in panels])
    labels = [v.label for v in versions]
    for col, (_, mean, low, high) in enumerate(panels, start=1):
        if low:
            lows, highs = [v.metric(low) for v in versions], [v.metric(high) for v in versions]
            figure.add_trace(go.Scatter(x=labels + labels[::-1], y=highs + lows[::-1], fill="toself", mode="lines",
                                        line={"width": 0}, fillcolor="rgba(31,119,180,0.2)", hoverinfo="skip",
                                        name="95 % CI"), row=1, col=col)
        figure.add_trace(go.Scatter(x=labels, y=[v.metric(mean) for v in versions], mode="lines+markers",
                                    name=mean, meta=mean, line={"color": COLOURS["bot"]}), row=1, col=col)
    return figure


def intent_gap(versions: Sequence[VersionResult], slice_key: str = "intent") -> Any | None:
    """Per intent and version: bot − human on the first reference-free scorer (colour), with the interval and
    parity in each cell."""
    import plotly.graph_objects as go

    scorer = next((s for v in versions for s in v.parity_scorers()), None)
    if scorer is None:
        return None
    values = sorted({r.slice_value for v in versions for r in v.rows(scorer, slice_key)
                     if _finite(r.parity_diff)})
    if not values:
        return None
    cells = {(v.label, r.slice_value): r for v in versions for r in v.rows(scorer, slice_key)}
    z, text = [], []
    for v in versions:
        row = [cells.get((v.label, value)) for value in values]
        z.append([r.parity_diff if r else None for r in row])
        text.append([f"{signed(r.parity_diff)}<br>[{signed(r.parity_ci_low)}, {signed(r.parity_ci_high)}]"
                     f"<br>{percent(r.parity_ratio)}" if r else "" for r in row])
    figure = _figure(f"How far from the human agents, per {slice_key}? {scorer}: bot − human, 95 % CI, parity",
                     height=140 + 70 * len(versions))
    figure.add_trace(go.Heatmap(z=z, x=values, y=[v.label for v in versions], text=text, texttemplate="%{text}",
                                colorscale="RdBu", zmid=0, meta=f"parity/{scorer}", colorbar={"title": "bot − human"}))
    return figure


def intent_scores(versions: Sequence[VersionResult], slice_key: str = "intent") -> Any | None:
    """Per intent: the primary scorer of each version, with 95 % intervals (a drop shows as a lower bar)."""
    import plotly.graph_objects as go

    primary = versions[0].primary
    if not any(v.rows(primary, slice_key) for v in versions):
        return None
    figure = _figure(f"{primary} per {slice_key} and version (mean, 95 % CI; agreement with the human agents' replies)")
    for v in versions:
        rows = sorted(v.rows(primary, slice_key), key=lambda r: r.slice_value)
        figure.add_trace(go.Bar(
            x=[r.slice_value for r in rows], y=[r.mean for r in rows], name=v.label, meta=f"{primary}/{v.label}",
            error_y={"type": "data", "symmetric": False, "array": [r.ci_high - r.mean for r in rows],
                     "arrayminus": [r.mean - r.ci_low for r in rows]},
            hovertext=[ci(r.mean, r.ci_low, r.ci_high, digits=None) for r in rows]))
    figure.update_layout(barmode="group")
    return figure


def handoffs(versions: Sequence[VersionResult], slice_key: str = "intent") -> Any | None:
    """Per version and intent: customers who needed a human and got one, those who did not, and handoffs nobody
    needed."""
    import plotly.graph_objects as go

    shown = [(v, h) for v in versions if (h := v.handoff_scorer())]
    if not shown:
        return None
    figure = _grid("Do customers who need a human get one?", [v.label for v, _ in shown], height=400)
    figure.update_layout(showlegend=True, barmode="stack", legend={"orientation": "h", "y": -0.25})
    for col, (v, scorer) in enumerate(shown, start=1):
        rows = sorted((r for r in v.rows(scorer, slice_key) if (r.handoff_asked or r.handoff_unnecessary)),
                      key=lambda r: r.slice_value)
        for part, field in (("got a human", "handoff_got"), ("needed one, did not get it", "handoff_missed"),
                            ("handed off, not needed", "handoff_unnecessary")):
            colour = COLOURS["got" if field == "handoff_got" else "missed" if field == "handoff_missed"
                             else "unnecessary"]
            figure.add_trace(go.Bar(x=[r.slice_value for r in rows], y=[getattr(r, field) or 0 for r in rows],
                                    name=part, marker_color=colour, legendgroup=part, showlegend=col == 1,
                                    meta=f"{field}/{v.label}"), row=1, col=col)
    return figure


def operations(versions: Sequence[VersionResult]) -> Any | None:
    """Errors, latency and cost per conversation per version (cost only where a version reported it)."""
    import plotly.graph_objects as go

    panels = [("failed replies (share)", ["error_rate"]), ("latency p50 / p95 (s)", ["latency_p50_s", "latency_p95_s"])]
    if any(_finite(v.metric("cost_per_conversation")) for v in versions):
        panels.append(("cost per conversation", ["cost_per_conversation"]))
    figure = _grid("Errors, latency and cost per version", [p[0] for p in panels])
    labels = [v.label for v in versions]
    for col, (_, names) in enumerate(panels, start=1):
        for name in names:
            figure.add_trace(go.Bar(x=labels, y=[v.metric(name) for v in versions], name=name, meta=name),
                             row=1, col=col)
    return figure


def every_chart(versions: Sequence[VersionResult], slice_key: str = "intent") -> list[Any]:
    if not versions:
        return []
    charts = [trend(versions) if len(versions) > 1 else None, intent_gap(versions, slice_key),
              intent_scores(versions, slice_key), handoffs(versions, slice_key), operations(versions)]
    return [c for c in charts if c is not None]
