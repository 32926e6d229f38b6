"""wowcard's own texts as gettext catalogs: every text the templates and cards use is in the template catalog
and translated, whole and with its placeholders, in the catalog of every shipped language."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from wowcard import i18n, i18n_extract
from wowcard.__main__ import cli

SHIPPED = ("ar", "de", "en", "es", "fr", "pt", "zh-Hans")


def msgids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


@pytest.fixture(scope="module")
def built_in():
    """Every text the packaged templates, i18n.py and cards.py mark with _() or ngettext(), extracted now."""
    return i18n_extract.extract()


def test_the_shipped_languages_include_english_five_more_and_arabic():
    assert set(SHIPPED) <= set(i18n.available())


def test_the_template_catalog_holds_every_built_in_text(built_in):
    shipped = i18n.read_catalog(i18n_extract.template_path())
    assert msgids(shipped) == msgids(built_in)
    assert len(msgids(built_in)) > 45  # the survey, thank-you and error pages and the cards


def test_a_text_added_to_a_template_is_found_by_the_extraction(tmp_path, monkeypatch):
    extra = tmp_path / "extra.html"
    extra.write_text('{{ _("A brand new line") }}{{ ngettext("%(num)s cup", "%(num)s cups", 2) }}')
    monkeypatch.setattr(i18n_extract, "template_files", lambda: [extra])
    found = msgids(i18n_extract.extract())
    assert {"A brand new line", "%(num)s cup"} <= found


@pytest.mark.parametrize("language", SHIPPED)
def test_every_built_in_text_is_translated_in_every_catalog(built_in, language):
    [po] = i18n.catalog_files(language)
    catalog = i18n.read_catalog(po)
    by_id = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    problems = []
    for message in built_in:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        entry = by_id.get(key)
        if entry is None:
            problems.append(f"missing: {key}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {key}")
        elif isinstance(message.id, tuple):
            forms = entry.string if isinstance(entry.string, tuple | list) else ()
            if len(forms) != catalog.num_plurals or not all(form.strip() for form in forms):
                problems.append(f"plural forms incomplete ({len(forms)} of {catalog.num_plurals}): {key}")
        elif not (isinstance(entry.string, str) and entry.string.strip()):
            problems.append(f"empty: {key}")
    assert problems == [], f"{po}:\n" + "\n".join(problems)
    assert not catalog.obsolete, f"{po}: obsolete texts left behind"


@pytest.mark.parametrize("language", SHIPPED)
def test_translations_keep_their_placeholders_and_plural_count(language):
    [po] = i18n.catalog_files(language)
    catalog = i18n.read_catalog(po)
    errors = [(message.id, [str(e) for e in errs]) for message, errs in catalog.check()]
    assert errors == []
    for message in catalog:
        if not message.id or "%(" not in str(message.id):
            continue
        wanted = set(re.findall(r"%\((\w+)\)s", str(message.id)))
        forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
        for form in forms:
            # a plural form may leave the number out ("يومين": two days) but never invents a placeholder
            assert set(re.findall(r"%\((\w+)\)s", form)) <= wanted, (language, form)


def test_the_catalogs_are_what_i18n_extract_would_write():
    assert i18n_extract.check() == [], "run: wowcard i18n update"


@pytest.mark.parametrize(
    ("n", "days"),
    [(1, "يوم واحد"), (2, "يومين"), (7, "7 أيام"), (30, "30 يومًا"), (100, "100 يوم"), (365, "365 يومًا")],
)
def test_arabic_numbers_take_the_plural_form_arabic_grammar_asks_for(n, days):
    texts = i18n.load("ar")
    sentence = texts.ngettext(
        "We use it only to reply, and delete it after %(num)s day.",
        "We use it only to reply, and delete it after %(num)s days.",
        n,
    )
    assert sentence == f"نستخدمه للرد عليك فقط، ونحذفه بعد {days}."


def test_numbers_are_written_the_languages_way():
    limit = ("Your comment is too long: please shorten it to %(num)s character.",) * 2
    assert "1,000 characters" in i18n.load("en").ngettext(*limit, 1000)
    assert "1.000 Zeichen" in i18n.load("de").ngettext(*limit, 1000)
    assert "1\u202f000 caractères" in i18n.load("fr").ngettext(*limit, 1000)
    assert "1 carácter" in i18n.load("es").ngettext(*limit, 1)


def test_languages_are_named_in_themselves_for_customers_and_in_english_for_the_owner():
    assert [i18n.language_name(code) for code in SHIPPED] == [
        "العربية",
        "Deutsch",
        "English",
        "Español",
        "Français",
        "Português",
        "中文 (简体)",
    ]
    assert i18n.language_name("zh-Hans", "en") == "Chinese (Simplified)"
    assert i18n.language_name("es", "en") == "Spanish"
    assert [i18n.direction(code) for code in SHIPPED] == ["rtl"] + ["ltr"] * 6
    assert i18n.direction("he") == "rtl" and i18n.direction("fa") == "rtl"


def test_a_missing_text_is_an_error_naming_language_text_and_file_not_english():
    texts = i18n.load("es")
    with pytest.raises(i18n.MissingText) as caught:
        texts.gettext("A line no catalog has")
    message = str(caught.value)
    assert '"es"' in message and "A line no catalog has" in message and "es/LC_MESSAGES/wowcard.po" in message
    assert i18n.load("en").gettext("A line no catalog has") == "A line no catalog has"  # the source language


def test_wowcard_i18n_check_passes_on_the_shipped_catalogs():
    result = CliRunner().invoke(cli, ["i18n", "check"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_wowcard_i18n_check_exits_1_naming_catalogs_a_new_template_text_makes_stale(tmp_path, monkeypatch):
    extra = tmp_path / "extra.html"
    extra.write_text('{{ _("A brand new line") }}')
    shipped = i18n_extract.template_files()
    monkeypatch.setattr(i18n_extract, "template_files", lambda: [*shipped, extra])
    result = CliRunner().invoke(cli, ["i18n", "check"])
    assert result.exit_code == 1, result.output
    assert f"out of date: {i18n_extract.template_path()}" in result.output
    assert "wowcard i18n update" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("code", ["xx-NOPE", "../../etc"])
def test_wowcard_i18n_init_refuses_a_code_cldr_does_not_know_with_exit_2(tmp_path, code):
    result = CliRunner().invoke(cli, ["i18n", "init", code, "--into", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "not a language code" in result.output and "Traceback" not in result.output
    assert not list(tmp_path.rglob("*.po"))


def test_wowcard_i18n_init_never_overwrites_a_catalog_being_translated(tmp_path):
    first = CliRunner().invoke(cli, ["i18n", "init", "it", "--into", str(tmp_path)])
    assert first.exit_code == 0, first.output
    [po] = tmp_path.rglob("*.po")
    po.write_text(po.read_text() + "\n# my work\n")
    again = CliRunner().invoke(cli, ["i18n", "init", "it", "--into", str(tmp_path)])
    assert again.exit_code == 2 and "exists already" in again.output
    assert po.read_text().endswith("# my work\n")
