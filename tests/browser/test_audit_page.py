"""audit.html in a real browser, from file://: it renders every case, searches, filters, sorts and expands a case to
its whole conversation, with no console error and nothing fetched."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from evalkit.audit.run import audit
from evalkit.audit.selection import Criteria
from evalkit.audit.source import load_run
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.scorers.overlap import ChrF
from evalkit.scorers.rubric.rubric import RubricScorer
from evalkit.scorers.rubric.rules import Length
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot
from evalkit.tracking.runs import NullTracker
from tests.data import write_transcripts

pytestmark = pytest.mark.slow


@pytest.fixture
def page_of_audit(tmp_path: Path) -> tuple[Path, list]:
    rubric = RubricScorer(name="rubric", rubric="r", criteria={"long_enough": {
        "weight": 1, "check": Length(min_words=4, max_words=99)}})
    outcome = evaluate(Evaluation(dataset=TableLoader(str(write_transcripts(tmp_path / "t.jsonl")), name="mini"),
                                  bots=[EchoBot()], scorers=[ChrF(), rubric], tracker=NullTracker(),
                                  stats=StatsSettings(n_resamples=20)), tmp_path / "run")
    done = audit(load_run(str(outcome.run_dir), ""), Criteria(n=6), tmp_path / "audit", tracked=False)
    return tmp_path / "audit" / "audit.html", list(done.views)


def test_audit_page_renders_filters_sorts_and_expands(visit, page_of_audit, tmp_path: Path):
    path, views = page_of_audit
    page = visit.page
    page.goto(path.as_uri())
    rows = page.locator("#queue tbody tr.case")
    assert rows.count() == len(views) == 6
    assert page.text_content("#count") == "6 of 6 cases"

    page.fill("#search", "twice")  # a word of one conversation only
    assert rows.count() == 1 and "c1:1" in rows.first.text_content()
    page.fill("#search", "")
    failing = sorted({s.name for v in views for s in v.failed()})
    assert failing == ["rubric/long_enough"]
    page.select_option("#failed", "rubric/long_enough")
    assert rows.count() == sum(bool(v.failed()) for v in views) >= 1
    page.select_option("#failed", "")
    page.select_option("#slice", "intent=billing")
    assert rows.count() == sum(v.slices["intent"] == "billing" for v in views)
    page.select_option("#slice", "")

    page.click("th[data-key=case_id]")
    page.click("th[data-key=case_id]")  # twice: descending
    shown = [row.get_attribute("data-case") for row in rows.all()]
    assert shown == [f"echo {case}" for case in sorted((v.case_id for v in views), reverse=True)]

    target = next(v for v in views if len(v.context) > 2)
    page.locator(f"tr.case[data-case='echo {target.case_id}']").click()
    detail = page.locator("tr.detail")
    assert detail.count() == 1
    text = detail.text_content()
    assert all(turn["text"] in text for turn in target.context) and target.reference in text
    page.screenshot(path=str(tmp_path / "audit.png"))
    page.locator(f"tr.case[data-case='echo {target.case_id}']").click()
    assert page.locator("tr.detail").count() == 0  # a second click folds it away

    assert visit.errors == [] and visit.refused == []
    shot = Image.open(tmp_path / "audit.png").convert("L")
    assert shot.size == (1280, 800)
    low, high = shot.getextrema()
    assert high - low > 100  # text on a background, not a blank page
