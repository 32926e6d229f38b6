"""The words a customer reads, in their language: wowcard's own texts from gettext catalogs, and the owner's
texts from survey.toml, for one language at a time.

    site_templates/locale/wowcard.pot                               every built-in text, in English
    site_templates/locale/<ll>[_<Script>]/LC_MESSAGES/wowcard.po    one catalog per language

Templates, this and cards/branding.py mark built-in texts with `_("…")` and `ngettext("…", "…", n)`: English
msgids with `%(name)s` placeholders (`wowcard i18n update` rebuilds the .pot from them and carries new
texts into every .po). The .po files are read as they are, with Babel: there is no compiled .mo to keep in
step. A theme folder (templates/ beside survey.toml) may hold a locale/ folder of its own whose catalogs add
a language or replace single texts of the packaged ones.

A text missing from a catalog is an error naming the language, the text and the file, never a silent
English word on a page in another language. Language codes are BCP 47 as survey.toml writes them ("pt-BR",
"zh-Hans"); catalog folders use gettext's underscore ("pt_BR", "zh_Hans"). A language's own name and its
writing direction come from Unicode CLDR through Babel.
"""

from __future__ import annotations

import gettext as gnu_gettext
from collections.abc import Callable
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import format_decimal

from . import render
from .collector import survey as survey_model

DOMAIN = "wowcard"
SOURCE_LANGUAGE = "en"  # the language of the msgids: English needs no translation to be complete
LOCALE = "locale"


class CatalogError(Exception):
    """A catalog that cannot be used: unreadable, or without a text a page needs. Names the file."""


class MissingText(CatalogError):
    def __init__(self, language: str, message: str, files: tuple[Path, ...]):
        self.language = language
        self.message = message
        where = " / ".join(str(f) for f in files) or f'the "{language}" catalog'
        super().__init__(f'{where}: no "{language}" text for "{message}" (add it, or remove its fuzzy mark)')


def folder_name(code: str) -> str:
    return code.replace("-", "_")


def code_of(folder: str) -> str:
    return folder.replace("_", "-")


def locale_folders(theme: Path | None = None) -> list[Path]:
    """Where catalogs are found, in order: the packaged ones, then the theme's (which win)."""
    folders = [render.packaged_folder() / LOCALE]
    if theme is not None and (theme / LOCALE).is_dir():
        folders.append(theme / LOCALE)
    return folders


def catalog_files(language: str, theme: Path | None = None) -> tuple[Path, ...]:
    relative = Path(folder_name(language), "LC_MESSAGES", f"{DOMAIN}.po")
    return tuple(folder / relative for folder in locale_folders(theme) if (folder / relative).is_file())


def available(theme: Path | None = None) -> tuple[str, ...]:
    """Every language with a catalog, sorted."""
    codes = {
        code_of(po.parent.parent.name)
        for folder in locale_folders(theme)
        for po in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    }
    return tuple(sorted(codes))


def suggestion(code: str, known: tuple[str, ...]) -> str | None:
    """A language with a catalog that is probably what `code` meant ("zh" → "zh-Hans"), or None."""
    base = code.split("-")[0].lower()
    close = [k for k in known if k.split("-")[0].lower() == base]
    return close[0] if close else None


def _locale(code: str) -> Locale | None:
    try:
        return Locale.parse(code, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return None


def language_name(code: str, in_language: str | None = None) -> str:
    """A language's name in another language ("Spanish"), or in itself ("Español") for a switcher."""
    locale = _locale(code)
    if locale is None:
        return code
    shown_in = _locale(in_language) if in_language else locale
    name = locale.get_display_name(shown_in or locale) or code
    return name[:1].upper() + name[1:]


def direction(code: str) -> str:
    """Whether a language is written right to left ("rtl": Arabic, Hebrew, Persian, Urdu …) or not ("ltr")."""
    locale = _locale(code)
    return "rtl" if locale is not None and locale.text_direction == "rtl" else "ltr"


class Texts:
    """One language's built-in texts, as templates call them: `gettext` (`_`) and `ngettext`. Numbers in
    placeholders are written the language's way ("1,000", "1.000", "1 000")."""

    def __init__(
        self,
        language: str,
        messages: dict[str, str | tuple[str, ...]],
        plural: Callable[[int], int],
        files: tuple[Path, ...],
    ):
        self.language = language
        self.messages = messages
        self.plural = plural
        self.files = files
        self.direction = direction(language)
        self.name = language_name(language)
        self.number_locale = _locale(language) or SOURCE_LANGUAGE

    def _number(self, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return format_decimal(value, locale=self.number_locale)
        return value

    def gettext(self, message: str, **variables: object) -> str:
        text = self.messages.get(message)
        if not isinstance(text, str):
            if self.language != SOURCE_LANGUAGE:
                raise MissingText(self.language, message, self.files)
            text = message
        return self._fill(message, text, variables) if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: object) -> str:
        forms = self.messages.get(singular)
        if isinstance(forms, tuple):
            text = forms[min(self.plural(n), len(forms) - 1)]
        elif self.language == SOURCE_LANGUAGE:
            text = singular if n == 1 else plural
        else:
            raise MissingText(self.language, singular, self.files)
        return self._fill(singular, text, {"num": n, **variables})

    def _fill(self, message: str, text: str, variables: dict[str, object]) -> str:
        try:
            return text % {name: self._number(value) for name, value in variables.items()}
        except (KeyError, ValueError, TypeError) as exc:
            where = " / ".join(str(f) for f in self.files)
            raise CatalogError(
                f'{where}: the "{self.language}" text for "{message}" has a placeholder that does not fit '
                f"({exc!r}); keep the ones of the English text, such as %(num)s"
            ) from None


def read_catalog(path: Path) -> Catalog:
    try:
        with path.open("rb") as handle:
            return read_po(handle, abort_invalid=True)
    except (OSError, PoFileError, ValueError) as exc:
        raise CatalogError(f"{path}: cannot read this catalog: {exc}") from None


def load(language: str, theme: Path | None = None) -> Texts:
    """The built-in texts of one language; CatalogError when no catalog has it."""
    files = catalog_files(language, theme)
    if not files:
        raise CatalogError(f'no catalog for "{language}"; available: {", ".join(available(theme))}')
    messages: dict[str, str | tuple[str, ...]] = {}
    plural: Callable[[int], int] = gnu_gettext.c2py("(n != 1)")
    for path in files:  # packaged first: a theme's catalog replaces single texts
        catalog = read_catalog(path)
        try:
            plural = gnu_gettext.c2py(catalog.plural_expr)
        except ValueError:
            raise CatalogError(f"{path}: its Plural-Forms header is not a rule gettext reads") from None
        for entry in catalog:
            if not entry.id or entry.fuzzy:
                continue
            if isinstance(entry.id, tuple | list):
                forms = tuple(entry.string or ())
                if forms and all(forms):
                    messages[entry.id[0]] = forms
            elif isinstance(entry.string, str) and entry.string:
                messages[entry.id] = entry.string
    return Texts(language, messages, plural, files)


# --- the owner's texts, or the built-in ones ---------------------------------------------------------------


def question(survey: survey_model.Survey, texts: Texts) -> str:
    """The wow question: the owner's own title in that language, or wowcard's, translated."""
    if "title" in survey.translations or survey.title != survey_model.DEFAULT_TITLE:
        return survey.text("title", texts.language, survey.title)
    _ = texts.gettext
    return _("Did anyone exceed your expectations today?")


def thank_you(survey: survey_model.Survey, texts: Texts) -> str:
    """The thank-you line: the owner's own in that language, or wowcard's, translated."""
    if "thank_you" in survey.translations or survey.thank_you != survey_model.DEFAULT_THANK_YOU:
        return survey.text("thank_you", texts.language, survey.thank_you)
    _ = texts.gettext
    return _("Thank you! We read every answer.")


def intro(texts: Texts) -> str:
    """The line under the question (and on counter signs)."""
    _ = texts.gettext
    return _("Takes 30 seconds. Every question is optional.")
