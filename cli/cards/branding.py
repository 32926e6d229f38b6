"""What a card shows of the owner's brand, and wowcard's own words on cards in the survey's language."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import contrast, i18n
from .. import logo as logo_file
from ..collector.survey import Survey
from .paper import INK, PAPER_WHITE


@dataclass(frozen=True, slots=True)
class Branding:
    name: str
    tagline: str
    primary: str
    on_primary: str
    accent: str  # the brand colour where it reads on white paper, else ink
    logo: logo_file.Logo | None  # the owner's logo, embedded as an image (wowcard.logo)
    question: str
    intro: str  # the line under "Scan with your phone camera" on a counter sign
    scan_or_visit: str  # over the address on a business card
    scan_with_camera: str  # under the question on an A6 card or a counter sign
    print_note: str  # in the margin of a sheet of cards


def branding(survey: Survey, theme: Path | None = None) -> Branding:
    primary = survey.brand.primary
    return Branding(
        name=survey.brand.name,
        tagline=survey.brand.tagline,
        primary=primary,
        on_primary=contrast.text_on(primary),
        accent=primary if contrast.ratio(primary, PAPER_WHITE) >= contrast.AA_TEXT else INK,
        logo=logo_file.load(survey.brand.logo) if survey.brand.logo else None,
        **card_words(survey, theme),
    )


def card_words(survey: Survey, theme: Path | None = None) -> dict[str, str]:
    """wowcard's own words on cards and signs in the survey's default language, so a card says what the page
    will say; in English where that language's catalog is missing or incomplete (`wowcard build` says so)."""
    try:
        return _card_words(survey, i18n.load(survey.languages[0], theme))
    except i18n.CatalogError:
        return _card_words(survey, i18n.load(i18n.SOURCE_LANGUAGE))


def _card_words(survey: Survey, texts: i18n.Texts) -> dict[str, str]:
    _ = texts.gettext
    return {
        "question": i18n.question(survey, texts),
        "intro": i18n.intro(texts),
        # Translators: on a business card, over the survey's web address beside the QR code.
        "scan_or_visit": _("Scan or visit"),
        # Translators: on a card or counter sign, over its QR code.
        "scan_with_camera": _("Scan with your phone camera"),
        # Translators: in the margin of a sheet of ten cards, for whoever prints and cuts them.
        "print_note": _("Print at 100 % (actual size), then cut along the marks"),
    }
