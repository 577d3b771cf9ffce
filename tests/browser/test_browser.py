"""The browser fixture itself: a local page renders, and a request off the machine is refused and recorded."""

from __future__ import annotations

from pathlib import Path


def test_a_local_page_renders_and_outside_requests_are_refused(visit, tmp_path: Path):
    page_file = tmp_path / "page.html"
    page_file.write_text("<html><body><h1 id='t'>hello</h1><img src='https://example.com/x.png'></body></html>")
    visit.page.goto(page_file.as_uri())
    assert visit.page.text_content("#t") == "hello"
    assert visit.refused == ["https://example.com/x.png"]
