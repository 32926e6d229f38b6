"""`wowcard cards --lang` and `--kiosk` without a browser: which pages cards in each language point at, the
words they carry, a bilingual card, a right-to-left card laid out right-to-left, and the kiosk sign."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from i18n.multilingual import make_multilingual

from wowcard import cards
from wowcard.__main__ import cli
from wowcard.collector import survey as survey_model

SITE = "https://survey.example.com"


@pytest.fixture
def multilingual_file(published_file: Path) -> Path:
    """The published example survey with pages in en (the default), es, fr, de, pt, zh-Hans and ar."""
    return make_multilingual(published_file)


@pytest.fixture
def multilingual(multilingual_file: Path) -> survey_model.Survey:
    return survey_model.load(multilingual_file)


def run(survey_file: Path, *args: str):
    return CliRunner().invoke(cli, ["cards", "-s", str(survey_file), "--format", "svg", *args])


def texts_of(svg: str, role: str) -> list[str]:
    """The lines of every <text class=role> of a card, each text's lines joined by a space."""
    found = re.findall(rf'<text class="{role}"[^>]*>(.*?)</text>', svg)
    return [" ".join(re.findall(r"<tspan[^>]*>(.*?)</tspan>", text)) for text in found]


def test_by_default_cards_speak_the_first_language_and_point_at_the_default_address(multilingual_file):
    result = run(multilingual_file, "--per", "staff")
    assert result.exit_code == 0, result.output
    svg = (
        multilingual_file.parent / "build" / "cards" / "mill" / "s" / "li" / "card-business.svg"
    ).read_text()
    assert f'data-url="{SITE}/harbour/mill/s/li/?src=card"' in svg
    assert texts_of(svg, "question") == ["Did anyone exceed your expectations today?"]


def test_cards_in_another_language_point_at_that_languages_pages_and_say_its_words(multilingual_file):
    result = run(multilingual_file, "--per", "staff", "--lang", "es", "--size", "a6")
    assert result.exit_code == 0, result.output
    folder = multilingual_file.parent / "build" / "cards"
    assert "build/cards/mill/s/li/card-a6-es.svg: card, 105 × 148 mm" in result.output
    svg = (folder / "mill" / "s" / "li" / "card-a6-es.svg").read_text()
    assert f'data-url="{SITE}/harbour/mill/es/s/li/?src=card"' in svg
    assert texts_of(svg, "question") == ["¿Alguien superó hoy sus expectativas?"]
    assert texts_of(svg, "cta") == ["Escanee con la cámara del teléfono"]
    assert texts_of(svg, "tagline") == ["Tostado en el muelle"]
    sign = (folder / "mill" / "sign-a5-es.svg").read_text()
    assert f'data-url="{SITE}/harbour/mill/es/?src=sign"' in sign


def test_a_bilingual_card_carries_both_languages_and_points_at_the_address_that_follows_the_phone(
    multilingual_file,
):
    result = run(multilingual_file, "--lang", "en,es", "--size", "a6")
    assert result.exit_code == 0, result.output
    svg = (multilingual_file.parent / "build" / "cards" / "quay" / "card-a6-en-es.svg").read_text()
    assert f'data-url="{SITE}/harbour/quay/?src=card"' in svg
    questions = texts_of(svg, "question")
    assert questions == [
        "Did anyone exceed your expectations today?",
        "¿Alguien superó hoy sus expectativas?",
    ]
    assert texts_of(svg, "cta") == ["Scan with your phone camera", "Escanee con la cámara del teléfono"]


def test_cards_in_a_right_to_left_language_are_laid_out_right_to_left(multilingual):
    spec = cards.SIZE_TABLE["business"]
    target = cards.targets(multilingual, "staff", "card", SITE, ("ar",))[0]
    ltr = cards.card_art(cards.branding(multilingual, languages=("en",)), target, spec)
    rtl = cards.card_art(cards.branding(multilingual, languages=("ar",)), target, spec)
    assert target.url == f"{SITE}/harbour/quay/ar/s/maya/?src=card"
    middle = spec.card.width / 2
    assert ltr.qr.box.x > middle > rtl.qr.box.x + rtl.qr.box.w, "the code moves to the left"
    question = next(t for t in rtl.texts if t.role == "question")
    assert question.lines == ("هل فاق أحدٌ", "توقعاتك", "اليوم؟")
    assert question.box.x + question.box.w / 2 > middle and question.direction == "rtl"
    assert question.x > question.box.x + question.box.w * 0.98, "hung from the right edge"
    assert question.text_anchor == "start", "in SVG, the start of right-to-left text is its right end"
    url = next(t for t in rtl.texts if t.role == "url")
    assert url.direction == "ltr", "an address reads left to right on any card"
    assert rtl.shapes[0].transform == f"matrix(-1 0 0 1 {spec.card.width:g} 0)", "the bubble's tail turns"


def test_a_right_to_left_card_marks_only_its_right_to_left_texts(multilingual_file):
    assert run(multilingual_file, "--lang", "ar", "--per", "staff").exit_code == 0
    svg = (
        multilingual_file.parent / "build" / "cards" / "quay" / "s" / "maya" / "card-business-ar.svg"
    ).read_text()
    assert re.search(r'<text class="question"[^>]*text-anchor="start" direction="rtl"', svg)
    assert re.search(r'<text class="url"[^>]*text-anchor="middle" data-box', svg)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="wow-card" direction="ltr"' in svg


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("it", '--lang: the survey has no pages in "it"; its languages are en, es, fr, de, pt, zh-Hans, ar'),
        ("en,es,fr", '--lang: "en,es,fr" is not one language or two different ones'),
        ("es,es", '--lang: "es,es" is not one language or two different ones'),
    ],
)
def test_a_language_the_cards_cannot_have_is_refused_naming_the_option(multilingual_file, lang, message):
    result = run(multilingual_file, "--lang", lang)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_a_kiosk_sign_per_location_points_staff_at_the_kiosk_page(multilingual_file):
    result = CliRunner().invoke(
        cli, ["cards", "-s", str(multilingual_file), "--format", "html", "--kiosk", "--lang", "es"]
    )
    assert result.exit_code == 0, result.output
    assert "build/cards/kiosk-a5-es.html: 2 kiosk signs for setting up a counter tablet, A5" in (
        result.output
    )
    sheet = (multilingual_file.parent / "build" / "cards" / "kiosk-a5-es.html").read_text()
    assert re.findall(r'data-url="([^"]+)"', sheet) == [
        f"{SITE}/harbour/quay/es/kiosk/",
        f"{SITE}/harbour/mill/es/kiosk/",
    ]
    assert texts_of(sheet, "kiosk-title") == ["Tableta del mostrador"] * 2
    assert texts_of(sheet, "url")[0] == "survey.example.com/harbour/quay/es/kiosk/"


def test_without_the_kiosk_option_no_kiosk_sign_is_printed(published_file):
    result = run(published_file)
    assert result.exit_code == 0, result.output
    assert "kiosk sign" not in result.output
    assert not list((published_file.parent / "build" / "cards").rglob("kiosk-*"))


def test_a_right_to_left_sheet_keeps_its_margin_notes_on_the_paper(multilingual_file):
    result = CliRunner().invoke(
        cli, ["cards", "-s", str(multilingual_file), "--format", "html", "--lang", "ar"]
    )
    assert result.exit_code == 0, result.output
    sheet = (multilingual_file.parent / "build" / "cards" / "cards-location-a4-sheet-ar.html").read_text()
    assert '<html lang="ar" dir="rtl">' in sheet
    assert '<svg class="marks" direction="ltr"' in sheet  # the page's rtl must not turn the captions
    assert texts_of(sheet, "caption")[1] == "اطبع بنسبة 100% (الحجم الفعلي)، ثم قُصّ على طول العلامات"
    assert re.search(r'<text class="caption"[^>]*text-anchor="start" direction="rtl"', sheet)
