"""What browser tests read off a page: every plotly chart's traces, the page's width, the share of non-blank pixels."""

from __future__ import annotations

import io
from typing import Any

CHARTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(el => ({
    id: el.id, title: (el.layout.title && el.layout.title.text) || '',
    traces: el.data.map(t => ({type: t.type, meta: t.meta ?? null, name: t.name ?? null, x: t.x ?? null,
                               y: t.y ?? null, z: t.z ?? null}))}))"""


def charts(page: Any) -> list[dict]:
    return page.evaluate(CHARTS)


def trace(found: list[dict], meta: str) -> dict:
    return next(t for chart in found for t in chart["traces"] if t["meta"] == meta)


def overflows(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def inked_share(png: bytes) -> float:
    """The share of pixels that are not the page's background: a blank or failed page is close to 0."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    histogram = image.histogram()
    return 1 - max(histogram) / sum(histogram)
