"""Self-contained HTML pages (the dashboard, report.html): plotly's JavaScript inline once, no request leaves the
page, laid out for a 1280 px laptop window (wide tables scroll inside their box, never the page)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #fafafa; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 20px 48px; box-sizing: border-box; }
h1 { font-size: 1.6rem; margin: 8px 0 4px; }
.meta { color: #555; margin: 0 0 12px; }
.headline { background: #fff; border-left: 4px solid #1f77b4; padding: 8px 16px; margin: 12px 0 20px; }
.headline li { margin: 6px 0; font-size: 1.05rem; }
.chart { background: #fff; margin: 16px 0; overflow-x: auto; }
.links li { margin: 4px 0; }
.report { background: #fff; padding: 4px 16px; overflow-wrap: anywhere; }
.report table, .links table { border-collapse: collapse; font-size: 0.85rem; }
.report td, .report th { border: 1px solid #ddd; padding: 2px 6px; }
.scroll { overflow-x: auto; max-width: 100%; }
"""


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None  # None: said, not linked (a store no browser can open)
    note: str = ""


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def figure_html(figure: Any, index: int) -> str:
    import plotly.io as pio

    return pio.to_html(figure, full_html=False, include_plotlyjs=False, div_id=f"chart-{index}",
                       config={"displaylogo": False, "responsive": False})


def markdown_html(text: str) -> str:
    """A markdown report as HTML (raw HTML in it is escaped), its tables wrapped so they scroll in place."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    return rendered.replace("<table>", '<div class="scroll"><table>').replace("</table>", "</table></div>")


def page(title: str, meta: Sequence[str], headline: Sequence[str], charts: Sequence[Any],
         links: Sequence[Link] = (), body: str = "") -> str:
    """meta: short facts under the title (date, run, dataset, bots); headline: the generated sentences."""
    parts = [f"<h1>{html.escape(title)}</h1>",
             '<p class="meta">' + " · ".join(html.escape(m) for m in meta) + "</p>"]
    if headline:
        parts.append('<section class="headline" id="headline"><ul>'
                     + "".join(f"<li>{html.escape(line)}</li>" for line in headline) + "</ul></section>")
    parts += [f'<section class="chart">{figure_html(figure, i)}</section>' for i, figure in enumerate(charts)]
    if links:
        items = []
        for link in links:
            text = html.escape(link.text)
            item = f'<a href="{html.escape(link.href)}">{text}</a>' if link.href else text
            items.append(f"<li>{item}{' ' + html.escape(link.note) if link.note else ''}</li>")
        parts.append('<section class="links" id="links"><h2>Runs in MLflow</h2><ul>' + "".join(items) + "</ul>"
                     "</section>")
    if body:
        parts.append(f'<section class="report">{body}</section>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style>'
            f'<script type="text/javascript">{_plotly_js()}</script></head>'
            f'<body><main>{"".join(parts)}</main></body></html>\n')
