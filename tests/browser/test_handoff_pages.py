"""The hand-off page left at the address of a person or a location that left, in real Chromium: accessible
(axe finds nothing, in both of its shapes), in the page's language, and the way on opens a survey page."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser.conftest import serving
from i18n.multilingual import make_multilingual

from wowcard.build import build_site
from wowcard.collector import survey as survey_model

pytestmark = pytest.mark.browser

TOM = '[[staff]]\nid = "tom"\nname = "Tom"\nlocation = "quay"\n\n'
MILL = '[[locations]]\nid = "mill"\nname = { "en" = "Old Mill", "es" = "Molino Viejo" }\n\n'
MILL_STAFF = (
    '[[staff]]\nid = "sam"\nname = "Sam"\nlocation = "mill"\n\n',
    '[[staff]]\nid = "li"\nname = "Li"\nlocation = "mill"\n',
)


@pytest.fixture
def left(survey_file: Path, tmp_path: Path):
    """The example survey in English and Spanish, built (the cards are printed), then Tom left, the mill
    closed and a third location opened, and built again: the site served on loopback."""
    make_multilingual(survey_file, ("en", "es"))
    out = tmp_path / "site"
    build_site(survey_model.load(survey_file), out=out)
    text = survey_file.read_text(encoding="utf-8")
    for gone in (TOM, MILL, *MILL_STAFF):
        assert gone in text
        text = text.replace(gone, "", 1)
    text = text.replace('locations = ["quay", "mill"]', 'location = "quay"')
    text += '\n[[locations]]\nid = "pier"\nname = "Pier Kiosk"\n'
    survey_file.write_text(text, encoding="utf-8")
    survey = survey_model.load(survey_file)
    build_site(survey, out=out)
    with serving(out, survey.definition()) as site:
        yield site


@pytest.mark.parametrize(
    ("path", "lang", "way_on"),
    [
        ("/harbour/quay/es/s/tom/", "es", "Responder a la encuesta de Quay Street"),
        ("/harbour/mill/", "en", "Answer the survey for Pier Kiosk"),
    ],
    ids=["a person who left", "a location that closed"],
)
def test_a_hand_off_page_is_accessible_and_its_way_on_opens_a_survey_page(left, phone, path, lang, way_on):
    response = phone.goto(left.url(path))
    assert response is not None and response.status == 200
    assert phone.locator("html").get_attribute("lang") == lang
    results = Axe().run(phone)
    assert results.violations_count == 0, results.generate_report()
    phone.get_by_role("link", name=way_on).click()
    phone.wait_for_load_state()
    assert phone.get_by_role("button", name="Send" if lang == "en" else "Enviar").is_visible()
