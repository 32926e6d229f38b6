"""The catalogs of wowcard's built-in texts, for translators and owners (`wowcard i18n …`): collect every
text from the packaged templates and the Python modules that mark texts, write them to
`site_templates/locale/wowcard.pot`, and carry them into every language's `.po` (new texts arrive empty,
changed ones fuzzy, removed ones obsolete), as `pybabel extract` and `pybabel update` do; or start an empty
catalog for a new language, in the package or in an owner's theme folder.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import write_po

from . import i18n, render

PYTHON_SOURCES = ("i18n.py", "cards/branding.py")  # the modules of `wowcard` that mark texts with _()
COMMENT_TAGS = ("Translators:",)
HEADER = "wowcard's built-in texts: what customers read on survey pages, thank-you and error pages and cards."
WIDTH = 76


class CatalogError(Exception):
    """A catalog cannot be started as asked (unknown language code, the catalog exists already)."""


def template_files() -> list[Path]:
    return sorted(render.packaged_folder().glob("*.html"))


def python_files() -> list[Path]:
    here = Path(__file__).parent
    return [here / name for name in PYTHON_SOURCES]


def extract() -> Catalog:
    """Every built-in text as a template catalog (the .pot), in a stable order."""
    catalog = Catalog(
        domain=i18n.DOMAIN,
        header_comment=f"# {HEADER}",
        project="wowcard",
        version="1",
        msgid_bugs_address="",
        fuzzy=False,
    )
    jinja_options = {"trim_blocks": "true", "lstrip_blocks": "true", "silent": "false"}
    # Jinja's extractor named the way babel.cfg names it: babel's and Jinja's annotations of an extractor
    # function disagree, a name is what both accept.
    sources = [(path, "jinja2.ext:babel_extract", jinja_options) for path in template_files()]
    sources += [(path, "python", {}) for path in python_files()]
    for path, method, options in sources:
        for lineno, message, comments, context in extract_from_file(
            method,
            str(path),
            keywords=DEFAULT_KEYWORDS,
            comment_tags=COMMENT_TAGS,
            options=options,
            strip_comment_tags=True,
        ):
            catalog.add(
                message,
                None,
                [(_reference(path), lineno)],
                auto_comments=comments,
                context=context,
                flags=("python-format",) if _formatted(message) else (),
            )
    return catalog


def _reference(path: Path) -> str:
    """A source as a translator finds it: a template by name, a module by its path inside the package."""
    here = Path(__file__).parent
    return path.relative_to(here).as_posix() if path.is_relative_to(here) else path.name


def _formatted(message: str | tuple[str, ...]) -> bool:
    texts = (message,) if isinstance(message, str) else message
    return any("%(" in text for text in texts)


def template_path() -> Path:
    return render.packaged_folder() / i18n.LOCALE / f"{i18n.DOMAIN}.pot"


def serialize(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, include_lineno=False, omit_header=False, sort_output=False)
    # the creation date and Babel's version change between runs and say nothing to a translator
    lines = [
        line
        for line in buffer.getvalue().splitlines(keepends=True)
        if not line.startswith((b'"POT-Creation-Date:', b'"Generated-By:'))
    ]
    return b"".join(lines)


def updated(po: Path, template: Catalog) -> Catalog:
    catalog = i18n.read_catalog(po)
    catalog.update(template, no_fuzzy_matching=False)
    return catalog


def check() -> list[Path]:
    """The files that an update would change."""
    template = extract()
    stale = []
    if not template_path().is_file() or template_path().read_bytes() != serialize(template):
        stale.append(template_path())
    for language in i18n.available():
        [po] = i18n.catalog_files(language)
        if po.read_bytes() != serialize(updated(po, template)):
            stale.append(po)
    return stale


def update() -> list[Path]:
    template = extract()
    written = [template_path()]
    template_path().parent.mkdir(parents=True, exist_ok=True)
    template_path().write_bytes(serialize(template))
    for language in i18n.available():
        [po] = i18n.catalog_files(language)
        po.write_bytes(serialize(updated(po, template)))
        written.append(po)
    return written


def new_catalog(language: str) -> Catalog:
    """An empty catalog for a language, with the plural rule CLDR gives it."""
    name = i18n.language_name(language, "en")
    return Catalog(
        locale=Locale.parse(language, sep="-"),
        domain=i18n.DOMAIN,
        header_comment=f"# {HEADER}\n# {name} ({language}).",
        project="wowcard",
        version="1",
        msgid_bugs_address="",
        last_translator="wowcard translators",
        language_team=name,
        revision_date=datetime(2025, 1, 1, tzinfo=UTC),
        fuzzy=False,
    )


def init(language: str, theme: Path | None = None) -> Path:
    """An untranslated catalog for `language`, in the package or in a theme folder."""
    folder = (theme if theme is not None else render.packaged_folder()) / i18n.LOCALE
    po = folder / i18n.folder_name(language) / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    if po.exists():
        raise CatalogError(f"{po} exists already")
    try:
        Locale.parse(language, sep="-")
    except (ValueError, UnknownLocaleError):
        raise CatalogError(
            f'"{language}" is not a language code Unicode CLDR knows, such as "it" or "pt-BR"'
        ) from None
    catalog = new_catalog(language)
    catalog.update(extract())
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_bytes(serialize(catalog))
    return po
