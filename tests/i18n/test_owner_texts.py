"""The owner's texts in survey.toml, per language: a missing or stray translation is one line naming the file,
the field path and the language, exit code 2; a theme's catalog can add a language or reword one text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import write_po
from click.testing import CliRunner
from i18n.multilingual import edit, make_multilingual

from wowcard import i18n, i18n_extract
from wowcard.__main__ import cli


def build(survey_file: Path):
    return CliRunner().invoke(cli, ["build", "-s", str(survey_file)])


def assert_input_error(result, survey_file: Path, field: str, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"Error: {survey_file}: {field}: "), message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        (
            ', "ar" = "يعرفون اسمي"',
            "",
            "promises[1].text.ar",
            ("missing", "en, es, fr, de, pt, zh-Hans, ar", 'a version in "ar" too'),
        ),
        (
            ', "de" = "Alte Mühle"',
            "",
            "locations[1].name.de",
            ("missing", 'a version in "de" too'),
        ),
        (
            '"fr" = "Café torréfié cette semaine"',
            '"fr" = "  "',
            "promises[0].text.fr",
            ("must not be empty",),
        ),
        (
            '"es" = "Tostado en el muelle"',
            '"es" = "' + "Tostado " * 20 + '"',
            "brand.tagline.es",
            ("at most 120 are allowed",),
        ),
        (
            '"es" = "¡Gracias! El equipo lee cada respuesta."',
            '"es" = "¡Gracias!", "it" = "Grazie!"',
            "thank_you.it",
            ('"it" is not one of the languages (en, es, fr, de, pt, zh-Hans, ar)',),
        ),
        (
            'title = "Did anyone exceed your expectations today?"',
            'title = "Was anyone wonderful today?"',
            "title.es",
            ("missing", "one per language", 'title.en = "…" and title.es = "…"'),
        ),
    ],
    ids=[
        "promise without arabic",
        "place name without german",
        "empty french promise",
        "spanish tagline too long",
        "a language the survey lacks",
        "own title in one language",
    ],
)
def test_a_missing_or_stray_translation_names_the_field_and_the_language(
    multilingual_file: Path, old, new, field, words
):
    edit(multilingual_file, old, new)
    assert_input_error(build(multilingual_file), multilingual_file, field, *words)


def test_a_sentence_written_once_in_a_survey_of_two_languages_asks_for_the_second(survey_file: Path):
    edit(survey_file, 'id = "harbour"', 'id = "harbour"\nlanguages = ["en", "es"]')
    assert_input_error(
        build(survey_file),
        survey_file,
        "brand.tagline.es",
        "missing: the survey's languages are en, es",
        'tagline.en = "…" and tagline.es = "…"',
    )


def test_names_and_the_built_in_question_may_be_written_once(multilingual_file: Path):
    text = multilingual_file.read_text()
    assert 'name = "Quay Street"' in text and 'title = "Did anyone exceed your expectations today?"' in text
    assert build(multilingual_file).exit_code == 0


def test_a_language_without_texts_suggests_the_one_that_ships(survey_file: Path):
    edit(survey_file, 'id = "harbour"', 'id = "harbour"\nlanguages = ["zh"]')
    assert_input_error(
        build(survey_file),
        survey_file,
        "languages[0]",
        '"zh" has no built-in page texts; did you mean "zh-Hans"?',
        "templates/locale/zh/LC_MESSAGES/wowcard.po",
    )


def write_catalog(theme: Path, language: str, texts: dict[str, str | list[str]]) -> Path:
    """A theme catalog for `language` holding `texts` (msgid → msgstr, or plural forms)."""
    catalog = i18n.read_catalog(i18n.catalog_files("en")[0])
    for message in list(catalog):
        if message.id:
            key = message.id if isinstance(message.id, str) else message.id[0]
            if key in texts:
                message.string = texts[key]
            else:
                catalog.delete(message.id)
    catalog.locale = language
    po = theme / "locale" / language / "LC_MESSAGES" / "wowcard.po"
    po.parent.mkdir(parents=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    po.write_bytes(buffer.getvalue())
    return po


def test_a_theme_catalog_adds_a_language(survey_file: Path):
    everything = {}
    for message in i18n.read_catalog(i18n.catalog_files("en")[0]):
        if isinstance(message.id, str) and message.id:
            everything[message.id] = f"[it] {message.string}"
        elif message.id:
            everything[message.id[0]] = [f"[it] {form}" for form in message.string]
    write_catalog(survey_file.parent / "templates", "it", everything)
    edit(survey_file, 'id = "harbour"', 'id = "harbour"\nlanguages = ["it"]')
    result = build(survey_file)
    assert result.exit_code == 0, result.output
    page = (survey_file.parent / "build" / "harbour" / "quay" / "it" / "index.html").read_text()
    assert '<html lang="it" dir="ltr">' in page and ">[it] Send</button>" in page
    assert "[it] We use it only to reply, and delete it after 365 days." in page


def test_a_theme_catalog_rewords_one_text_of_a_shipped_language(survey_file: Path):
    write_catalog(survey_file.parent / "templates", "es", {"Send": "Mandar"})
    make_multilingual(survey_file, ("en", "es"))
    assert build(survey_file).exit_code == 0
    page = (survey_file.parent / "build" / "harbour" / "quay" / "es" / "index.html").read_text()
    assert ">Mandar</button>" in page and "¿Alguien superó hoy sus expectativas?" in page


def test_a_theme_catalog_missing_a_text_fails_the_build_naming_file_text_and_language(survey_file: Path):
    po = write_catalog(survey_file.parent / "templates", "it", {"Send": "Invia"})
    edit(survey_file, 'id = "harbour"', 'id = "harbour"\nlanguages = ["it"]')
    result = build(survey_file)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert str(po) in result.output and 'no "it" text for' in result.output


def test_i18n_extract_starts_an_owners_catalog_that_the_build_asks_to_finish(survey_file: Path):
    theme = survey_file.parent / "templates"
    started = CliRunner().invoke(cli, ["i18n", "init", "it", "--into", str(theme)])
    assert started.exit_code == 0, started.output
    [po] = i18n.catalog_files("it", theme)
    catalog = i18n.read_catalog(po)
    assert {m.id for m in catalog if m.id} == {m.id for m in i18n_extract.extract() if m.id}
    # Italian's plural forms are CLDR data: whatever the installed Babel says (2 in older CLDR, 3 in newer)
    assert catalog.num_plurals == get_plural("it").num_plurals
    assert not any(m.string for m in catalog if m.id and isinstance(m.id, str))
    edit(survey_file, 'id = "harbour"', 'id = "harbour"\nlanguages = ["it"]')
    result = build(survey_file)
    assert result.exit_code == 2 and str(po) in result.output and 'no "it" text for' in result.output


def test_a_theme_translation_with_a_wrong_placeholder_fails_the_build_naming_it(survey_file: Path):
    write_catalog(survey_file.parent / "templates", "es", {"Back to %(location)s": "Volver a %(lugar)s"})
    make_multilingual(survey_file, ("en", "es"))
    result = build(survey_file)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert 'the "es" text for "Back to %(location)s" has a placeholder that does not fit' in result.output
