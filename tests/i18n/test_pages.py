"""`wowcard build` for a survey in seven languages: a page per location, staff member and language at the URLs
of DESIGN.md, each with its `lang` (and `dir="rtl"` for Arabic), wowcard's texts and the owner's in that
language, a switcher to the others, and every page within the gzip budget."""

from __future__ import annotations

import re
from pathlib import Path

import html5lib
import pytest
from click.testing import CliRunner
from i18n.multilingual import LANGUAGES, OWNER_TEXTS, make_multilingual

from wowcard import build as site_build
from wowcard import cards, i18n, i18n_extract
from wowcard.__main__ import cli
from wowcard.collector import survey as survey_model

STAFF = {"quay": ("maya", "tom", "priya"), "mill": ("priya", "sam", "li")}


def dom(data: bytes):
    return html5lib.parse(data, namespaceHTMLElements=False)


def text_of(data: bytes) -> str:
    """What a reader sees: the text of <body>, scripts and styles left out."""
    body = dom(data).find("body")
    for parent in body.iter():
        for child in list(parent):
            if child.tag in ("script", "style"):
                parent.remove(child)
    return re.sub(r"[ \t\r\n]+", " ", " ".join(body.itertext())).strip()  # no-break spaces stay


@pytest.fixture
def site(multilingual_file: Path) -> Path:
    result = CliRunner().invoke(cli, ["build", "-s", str(multilingual_file)])
    assert result.exit_code == 0, result.output
    return multilingual_file.parent / "build" / "harbour"


def language_pages(site: Path, lang: str) -> dict[str, Path]:
    """Every page of one language at its own address, by kind."""
    return {
        "survey": site / "quay" / lang / "index.html",
        "staff": site / "mill" / lang / "s" / "li" / "index.html",
        "thanks": site / "thanks" / lang / "index.html",
        "error": site / "error" / lang / "index.html",
    }


def test_every_language_has_its_pages_at_the_urls_of_the_design(site: Path):
    html = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    expected = set()
    for prefix in ["", *(f"{lang}/" for lang in LANGUAGES)]:
        expected |= {f"thanks/{prefix}index.html", f"error/{prefix}index.html"}
        for location, people in STAFF.items():
            expected |= {f"{location}/{prefix}index.html", f"{location}/{prefix}kiosk/index.html"}
            expected |= {f"{location}/{prefix}s/{person}/index.html" for person in people}
    assert html == expected


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_page_says_its_language_and_direction(site: Path, lang: str):
    direction = "rtl" if lang == "ar" else "ltr"
    for kind, path in language_pages(site, lang).items():
        root = dom(path.read_bytes())
        assert (root.get("lang"), root.get("dir")) == (lang, direction), (kind, path)
    form = dom((site / "quay" / lang / "index.html").read_bytes()).find(".//form")
    hidden = {i.get("name"): i.get("value") for i in form.iter("input") if i.get("type") == "hidden"}
    assert hidden["lang"] == lang


def test_the_default_address_is_the_first_language(site: Path):
    for path in ("quay/index.html", "mill/s/li/index.html", "thanks/index.html", "error/index.html"):
        root = dom((site / path).read_bytes())
        assert (root.get("lang"), root.get("dir")) == ("en", "ltr"), path


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_no_english_built_in_text_shows_on_a_page_in_another_language(site: Path, lang: str):
    texts = i18n.load(lang)
    english = []
    for message in i18n.read_catalog(i18n_extract.template_path()):  # the shipped list, as translators see it
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        source = key.split("%(")[0].strip()
        translated = texts.messages[key]
        if len(source) > 3 and source not in str(translated):  # "No" is Spanish too
            english.append(source)
    for kind, path in language_pages(site, lang).items():
        seen = text_of(path.read_bytes())
        leaked = [source for source in english if source in seen]
        assert leaked == [], (kind, leaked)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_wowcards_texts_and_the_owners_are_in_the_pages_language(site: Path, lang: str):
    texts = i18n.load(lang)
    survey_page = text_of(language_pages(site, lang)["survey"].read_bytes())
    assert texts.gettext("Did anyone exceed your expectations today?") in survey_page
    assert texts.gettext("Send") in survey_page
    assert texts.gettext("Takes 30 seconds. Every question is optional.") in survey_page
    for line, by_language in OWNER_TEXTS.items():
        if not line.startswith(("thank_you", 'name = "Old Mill"')):
            assert by_language[lang] in survey_page, line
    assert "Quay Street" in survey_page  # a name given once stays the same in every language
    mill = OWNER_TEXTS['name = "Old Mill"'][lang]
    staff_page = language_pages(site, lang)["staff"].read_bytes().decode()
    assert f'<p class="place">{mill}</p>' in staff_page
    thanks = text_of(language_pages(site, lang)["thanks"].read_bytes())
    assert OWNER_TEXTS['thank_you = "Thank you! Every answer is read by the team."'][lang] in thanks
    error = language_pages(site, lang)["error"].read_bytes().decode()
    assert texts.gettext("Back to %(location)s", location=mill) in error
    assert f'href="/harbour/mill/{lang}/"' in error


def test_the_switcher_links_the_same_page_in_every_language_by_its_own_name(site: Path):
    nav = dom((site / "mill" / "ar" / "s" / "li" / "index.html").read_bytes()).find(".//nav")
    assert nav.get("aria-label") == "اللغة"
    attributes = ("href", "hreflang", "lang", "aria-current")
    links = [(*(a.get(name) for name in attributes), a.text) for a in nav.iter("a")]
    assert links == [
        ("/harbour/mill/en/s/li/", "en", "en", None, "English"),
        ("/harbour/mill/es/s/li/", "es", "es", None, "Español"),
        ("/harbour/mill/fr/s/li/", "fr", "fr", None, "Français"),
        ("/harbour/mill/de/s/li/", "de", "de", None, "Deutsch"),
        ("/harbour/mill/pt/s/li/", "pt", "pt", None, "Português"),
        ("/harbour/mill/zh-Hans/s/li/", "zh-Hans", "zh-Hans", None, "中文 (简体)"),
        ("/harbour/mill/ar/s/li/", "ar", "ar", "page", "العربية"),
    ]


def test_only_the_default_addresses_may_follow_the_phones_language(site: Path):
    for path in ("quay/index.html", "mill/s/li/index.html"):
        assert dom((site / path).read_bytes()).find(".//nav").get("data-auto") is not None, path
    for path in ("quay/en/index.html", "quay/es/index.html", "mill/ar/s/li/index.html"):
        assert dom((site / path).read_bytes()).find(".//nav").get("data-auto") is None, path


def test_a_survey_in_one_language_has_no_switcher(survey_file: Path):
    assert CliRunner().invoke(cli, ["build", "-s", str(survey_file)]).exit_code == 0
    page = (survey_file.parent / "build" / "harbour" / "quay" / "index.html").read_bytes()
    assert dom(page).find(".//nav") is None


def test_every_page_of_every_language_is_within_the_budget(multilingual: survey_model.Survey, tmp_path: Path):
    result = site_build.build_site(multilingual, out=tmp_path)
    largest: dict[str, int] = {}
    for page in result.pages:
        parts = page.path.split("/")
        lang = parts[2] if len(parts) > 3 and parts[2] in LANGUAGES else "default"
        largest[lang] = max(largest.get(lang, 0), page.gzipped)
    assert set(largest) == {"default", *LANGUAGES}
    assert max(largest.values()) <= site_build.BUDGET
    assert max(largest.values()) < 8_000, largest  # a few kilobytes, in any script


def test_the_builtin_question_is_translated_and_the_owners_own_wins(multilingual_file: Path):
    text = multilingual_file.read_text()
    titles = {lang: f"Question in {lang}" for lang in LANGUAGES}
    text = text.replace(
        'title = "Did anyone exceed your expectations today?"',
        "title = { " + ", ".join(f'"{k}" = "{v}"' for k, v in titles.items()) + " }",
    )
    multilingual_file.write_text(text)
    assert CliRunner().invoke(cli, ["build", "-s", str(multilingual_file)]).exit_code == 0
    site = multilingual_file.parent / "build" / "harbour"
    for lang in LANGUAGES:
        assert f"<h1>Question in {lang}</h1>" in (site / "quay" / lang / "index.html").read_text()


def test_staff_names_may_be_given_per_language(survey_file: Path):
    make_multilingual(survey_file, ("en", "zh-Hans"))
    text = survey_file.read_text().replace('name = "Li"', 'name = { en = "Li", "zh-Hans" = "李" }')
    survey_file.write_text(text)
    assert CliRunner().invoke(cli, ["build", "-s", str(survey_file)]).exit_code == 0
    site = survey_file.parent / "build" / "harbour" / "mill"
    assert 'value="li">李</label>' in (site / "zh-Hans" / "index.html").read_text()
    assert 'value="li">Li</label>' in (site / "en" / "index.html").read_text()
    definition = survey_model.load(survey_file).definition()
    assert [s.name for s in definition.staff if s.id == "li"] == ["Li"]  # reports: the default language's


def test_qr_codes_keep_pointing_at_the_address_without_a_language(multilingual: survey_model.Survey):
    for target in cards.targets(multilingual, "staff", "card", "https://wow.example.com"):
        assert not any(f"/{lang}/" in target.url for lang in LANGUAGES), target.url
    assert cards.targets(multilingual, "location", "card", "https://wow.example.com")[0].url == (
        "https://wow.example.com/harbour/quay/?src=card"
    )


def test_cards_speak_the_surveys_default_language(survey_file: Path):
    make_multilingual(survey_file, ("es", "en"))
    brand = cards.branding(survey_model.load(survey_file))
    assert brand.question == "¿Alguien superó hoy sus expectativas?"
    assert brand.scan_with_camera == "Escanee con la cámara del teléfono"
    assert brand.print_note == "Imprima al 100 % (tamaño real) y recorte por las marcas"
    assert brand.tagline == "Tostado en el muelle"
