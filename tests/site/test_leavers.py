"""People and locations that leave survey.toml: a printed card never meets a 404. Their pages stay at their
URLs as a small hand-off page in the survey's brand and the page's language, which sends the customer on to
the location's survey (or, for a location that closed, to the survey's locations); `wowcard build` says
which printed pages now hand off. What was printed is known from the previous build's manifest and from the
published definition versions in the survey's store."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import html5lib
import pytest
from click.testing import CliRunner
from i18n.multilingual import make_multilingual

from wowcard.__main__ import cli
from wowcard.build_result import gzipped_size
from wowcard.collector import survey as survey_model
from wowcard.collector.store import open_store

TOM = '[[staff]]\nid = "tom"\nname = "Tom"\nlocation = "quay"\n\n'
MILL = '[[locations]]\nid = "mill"\nname = "Old Mill"\n\n'
PIER = '\n[[locations]]\nid = "pier"\nname = "Pier Kiosk"\n'


def build(survey_file: Path):
    result = CliRunner().invoke(cli, ["build", "-s", str(survey_file)])
    assert result.exit_code == 0, result.output
    return result


def edit(survey_file: Path, *changes: tuple[str, str]) -> None:
    text = survey_file.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    survey_file.write_text(text, encoding="utf-8")


def links(page: Path) -> dict[str, str]:
    tree = html5lib.parse(page.read_bytes(), namespaceHTMLElements=False)
    return {a.get("href"): "".join(a.itertext()) for a in tree.iter("a")}


def text_of(page: Path) -> str:
    tree = html5lib.parse(page.read_bytes(), namespaceHTMLElements=False)
    main = tree.find(".//main")
    return " ".join("".join(main.itertext()).split())


@pytest.fixture
def multilingual(survey_file: Path) -> Path:
    """The example survey in English and Spanish, built once: the cards are printed."""
    make_multilingual(survey_file, ("en", "es"))
    build(survey_file)
    return survey_file


def test_a_staff_card_of_someone_who_left_hands_off_to_the_location_survey(multilingual: Path):
    edit(multilingual, (TOM, ""))
    result = build(multilingual)
    assert (
        "3 printed pages of people, locations or languages that left now hand off to a survey page:"
        in result.output
    )
    assert "tom left quay: 3 pages (e.g. /harbour/quay/s/tom/) → the survey of quay" in result.output
    site = multilingual.parent / "build" / "harbour"
    english = site / "quay" / "s" / "tom" / "index.html"
    assert "This page has moved" in text_of(english)
    assert links(english) == {"/harbour/quay/": "Answer the survey for Quay Street"}
    assert b"Harbour Coffee" in english.read_bytes() and b'<html lang="en"' in english.read_bytes()
    spanish = site / "quay" / "es" / "s" / "tom" / "index.html"
    assert b'<html lang="es"' in spanish.read_bytes()
    assert "Esta página ha cambiado de dirección" in text_of(spanish)
    assert links(spanish) == {"/harbour/quay/es/": "Responder a la encuesta de Quay Street"}
    assert b"<script" not in spanish.read_bytes()  # a small page: brand, a sentence, a link
    assert gzipped_size(spanish.read_bytes()) < 3_000


def test_a_closed_location_hands_off_to_the_remaining_locations(survey_file: Path):
    edit(survey_file, ('[[staff]]\nid = "maya"', PIER + '\n[[staff]]\nid = "maya"'))
    build(survey_file)
    edit(
        survey_file,
        (MILL, ""),
        ('[[staff]]\nid = "sam"\nname = "Sam"\nlocation = "mill"\n\n', ""),
        ('[[staff]]\nid = "li"\nname = "Li"\nlocation = "mill"\n', ""),
        ('locations = ["quay", "mill"]', 'location = "quay"'),
    )
    result = build(survey_file)
    assert "location mill left the survey: 10 pages (e.g. /harbour/mill/) → the survey of quay, pier" in (
        result.output
    )
    site = survey_file.parent / "build" / "harbour"
    for page in ("mill/index.html", "mill/s/sam/index.html", "mill/en/index.html", "mill/en/s/li/index.html"):
        lang = "en/" if "/en/" in page else ""
        assert "Which of our places did you visit?" in text_of(site / page)
        assert links(site / page) == {
            f"/harbour/quay/{lang}": "Answer the survey for Quay Street",
            f"/harbour/pier/{lang}": "Answer the survey for Pier Kiosk",
        }


def test_hand_off_pages_stay_build_after_build_and_the_build_is_deterministic(multilingual: Path):
    edit(multilingual, (TOM, ""))
    build(multilingual)
    site = multilingual.parent / "build" / "harbour"
    first = (site / "quay" / "es" / "s" / "tom" / "index.html").read_bytes()
    again = build(multilingual)
    assert "tom left quay: 3 pages" in again.output
    assert (site / "quay" / "es" / "s" / "tom" / "index.html").read_bytes() == first


def test_someone_who_comes_back_gets_their_survey_page_again(multilingual: Path):
    edit(multilingual, (TOM, ""))
    build(multilingual)
    edit(multilingual, ('[[staff]]\nid = "sam"', TOM + '[[staff]]\nid = "sam"'))
    result = build(multilingual)
    assert "hand off" not in result.output
    page = multilingual.parent / "build" / "harbour" / "quay" / "s" / "tom" / "index.html"
    assert b'name="staff"' in page.read_bytes() and "This page has moved" not in page.read_text("utf-8")


def test_without_a_previous_build_the_published_versions_say_what_was_printed(survey_file: Path):
    survey = survey_model.load(survey_file)
    store = open_store(survey.store, survey.folder)
    store.publish(survey.definition().to_json())  # the version whose cards were printed
    store.close()
    edit(survey_file, (TOM, ""))
    shutil.rmtree(survey_file.parent / "build", ignore_errors=True)  # a fresh checkout: no manifest
    result = build(survey_file)
    assert "tom left quay: 2 pages (e.g. /harbour/quay/s/tom/)" in result.output
    page = survey_file.parent / "build" / "harbour" / "quay" / "en" / "s" / "tom" / "index.html"
    assert links(page) == {"/harbour/quay/en/": "Answer the survey for Quay Street"}


def test_without_a_previous_build_a_closed_location_keeps_every_address_it_had(multilingual: Path):
    """Its pages, its kiosk's and its languages' thank-you pages, known from the published version alone."""
    before = survey_model.load(multilingual)
    site = multilingual.parent / "build" / "harbour"
    had = {p.relative_to(site) for p in site.rglob("index.html")}
    store = open_store(before.store, before.folder)
    store.publish(before.definition().to_json())
    store.close()
    edit(
        multilingual,
        ('[[locations]]\nid = "mill"\nname = { "en" = "Old Mill", "es" = "Molino Viejo" }\n\n', ""),
        ('[[staff]]\nid = "sam"\nname = "Sam"\nlocation = "mill"\n\n', ""),
        ('[[staff]]\nid = "li"\nname = "Li"\nlocation = "mill"\n', ""),
        ('locations = ["quay", "mill"]', 'location = "quay"'),
    )
    drop_spanish(multilingual)
    shutil.rmtree(site.parent)  # a fresh checkout: no manifest
    build(multilingual)
    assert sorted(str(p) for p in had if not (site / p).exists()) == []
    assert "This page has moved" in text_of(site / "mill" / "es" / "kiosk" / "index.html")


def test_other_files_in_the_build_folder_are_never_taken_for_pages(survey_file: Path):
    build(survey_file)
    site = survey_file.parent / "build" / "harbour"
    (site / "cards").mkdir()
    (site / "cards" / "index.html").write_text("the owner's own page")
    edit(survey_file, (TOM, ""))
    build(survey_file)
    assert (site / "cards" / "index.html").read_text() == "the owner's own page"


def drop_spanish(survey_file: Path) -> None:
    text = survey_file.read_text(encoding="utf-8").replace('languages = ["en", "es"]', 'languages = ["en"]')
    survey_file.write_text(re.sub(r', "es" = "[^"]*"', "", text), encoding="utf-8")


def test_a_language_dropped_hands_its_pages_off_and_keeps_its_thank_you_pages(multilingual: Path):
    drop_spanish(multilingual)
    result = build(multilingual)
    site = multilingual.parent / "build" / "harbour"
    assert "language es left the survey at quay: 5 pages (e.g. /harbour/quay/es/)" in result.output
    assert "stale" not in result.output
    page = site / "quay" / "es" / "s" / "maya" / "index.html"
    assert b'<html lang="en"' in page.read_bytes()
    assert links(page) == {"/harbour/quay/": "Answer the survey for Quay Street"}
    # A Spanish page still open on a phone (or an answer queued on it) is sent to thanks/es/ once stored:
    # the collector validates it against the version it was built from, which had Spanish.
    for kind in ("thanks", "error"):
        kept = (site / kind / "es" / "index.html").read_bytes()
        assert kept == (site / kind / "en" / "index.html").read_bytes()


def site_urls(site: Path) -> set[str]:
    """Every address inside the survey's site that a written page names (links, the thank-you page…)."""
    found = set()
    for page in site.rglob("*.html"):
        found.update(re.findall(r'"(/harbour/[^"#?]*)', page.read_text("utf-8")))
    return found


def test_no_address_ever_written_or_named_meets_a_404_while_people_places_and_languages_come_and_go(
    multilingual: Path,
):
    site = multilingual.parent / "build" / "harbour"
    original = multilingual.read_text(encoding="utf-8")
    ever: set[Path] = set(site.rglob("index.html"))
    steps = [
        ("tom left", lambda: edit(multilingual, (TOM, "")), "tom left quay"),
        (
            "the mill closed",
            lambda: edit(
                multilingual,
                ('[[locations]]\nid = "mill"\nname = { "en" = "Old Mill", "es" = "Molino Viejo" }\n\n', ""),
                ('[[staff]]\nid = "sam"\nname = "Sam"\nlocation = "mill"\n\n', ""),
                ('[[staff]]\nid = "li"\nname = "Li"\nlocation = "mill"\n', ""),
                ('locations = ["quay", "mill"]', 'location = "quay"'),
            ),
            "location mill left the survey",
        ),
        ("Spanish dropped", lambda: drop_spanish(multilingual), "language es left the survey at quay"),
        ("all back", lambda: multilingual.write_text(original, encoding="utf-8"), None),
    ]
    for name, change, said in steps:
        change()
        result = build(multilingual)
        if said:
            assert said in result.output, name
        else:
            assert "hand off" not in result.output, name
        assert "stale" not in result.output, name
        missing = sorted(str(p.relative_to(site)) for p in ever if not p.exists())
        assert not missing, f"{name}: printed pages gone: {missing}"
        dead = sorted(u for u in site_urls(site) if not (site.parent / u.lstrip("/") / "index.html").exists())
        assert not dead, f"{name}: pages name addresses that 404: {dead}"
        ever |= set(site.rglob("index.html"))
        first = {p: p.read_bytes() for p in ever}
        build(multilingual)
        assert {p: p.read_bytes() for p in ever} == first, f"{name}: a second build changed bytes"
