"""The HTML report as a browser draws it (Debian's Chromium): on a phone and on paper-width screens, a long
staff name in the leaderboard chart is shown whole (it wraps, never clipped), and the folded rows open."""

from __future__ import annotations

from datetime import UTC, date, datetime

import chromium
import pytest
from conftest import LOGO_SVG, SURVEY_TOML  # the example survey of tests/conftest.py
from playwright.sync_api import sync_playwright
from results.known_data import stories_about

from wowcard import report, report_formats, report_texts
from wowcard.collector import survey as survey_model
from wowcard.collector.store import TallyRow

LONG_NAME = "Maria-Fernanda Oyelaran-Whitcombe de la Vega y Castillo"


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    toml = SURVEY_TOML.replace('name = "Maya"', f'name = "{LONG_NAME}"')
    assert LONG_NAME in toml
    (folder / "survey.toml").write_text(toml, encoding="utf-8")
    (folder / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    definition = survey_model.load(folder / "survey.toml").definition()
    period = report.Period(date(2025, 3, 3), date(2025, 3, 16))
    rows = [
        TallyRow("2025-03-03", "quay", {"n": 9, "wow_yes": 8, "wow_no": 1, "staff:maya": 6, "staff:tom": 2})
    ]
    data = report.build(rows, definition, period, now=datetime(2025, 4, 1, tzinfo=UTC))
    report_texts.attach_texts(data, definition, stories_about("maya", [f"story {i}" for i in range(5)]))
    path = folder / "report.html"
    path.write_text(report_formats.render(data, "html"), encoding="utf-8")
    return path


@pytest.mark.parametrize("width", [360, 900])
def test_a_long_name_in_the_chart_is_shown_whole(page_file, width):
    chromium.require_chromium()
    with sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        try:
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(page_file.as_uri())
            name = page.locator(".bars .who").first
            assert name.inner_text().startswith(LONG_NAME)
            box = name.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            assert name.evaluate("e => e.scrollWidth <= e.clientWidth")  # nothing cut off inside it
            folded = page.locator("#stories details")
            assert not folded.get_by_text("story 0", exact=True).is_visible()
            folded.locator("summary").click()
            assert folded.get_by_text("story 0", exact=True).is_visible()
        finally:
            browser.close()
