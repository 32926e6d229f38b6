"""What a card shows of the owner's brand, and the words on it in each language it is printed in: wowcard's
own texts from the catalogs and the owner's from survey.toml in that language, as the page says them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import contrast, i18n
from .. import logo as logo_file
from ..collector.survey import Survey
from .paper import INK, PAPER_WHITE

MAX_LANGUAGES = 2  # a card or sign holds its texts in one language, or two one above the other


class CardLanguageError(ValueError):
    """`--lang` names a language the survey has no pages in, or more than a card can hold."""


@dataclass(frozen=True, slots=True)
class Words:
    """Everything a card says in one language."""

    lang: str
    direction: str  # ltr | rtl
    name: str  # the brand
    tagline: str
    question: str
    intro: str  # the line under "Scan with your phone camera" on a counter sign
    scan_or_visit: str  # over the address on a business card
    scan_with_camera: str  # under the question on an A6 card or a counter sign
    print_note: str  # in the margin of a sheet of cards
    kiosk_title: str  # the kiosk sign's heading
    kiosk_steps: str  # what staff do with the address on a kiosk sign
    places: dict[str, str]  # location id: its name in this language
    people: dict[str, str]  # staff id: their name in this language


@dataclass(frozen=True, slots=True)
class Branding:
    """Colours, logo and the words of every language on the card, the first one leading."""

    primary: str
    on_primary: str
    accent: str  # the brand colour where it reads on white paper, else ink
    logo: logo_file.Logo | None  # the owner's logo, embedded as an image (wowcard.logo)
    words: tuple[Words, ...]

    @property
    def first(self) -> Words:
        return self.words[0]

    @property
    def direction(self) -> str:
        """The layout's direction: the first language's (a right-to-left card is mirrored)."""
        return self.first.direction

    # The first language's words, as most of the art uses them.
    name = property(lambda self: self.first.name)
    tagline = property(lambda self: self.first.tagline)
    question = property(lambda self: self.first.question)
    intro = property(lambda self: self.first.intro)
    scan_or_visit = property(lambda self: self.first.scan_or_visit)
    scan_with_camera = property(lambda self: self.first.scan_with_camera)
    print_note = property(lambda self: self.first.print_note)


def card_languages(survey: Survey, lang: str | None) -> tuple[str, ...]:
    """The languages of `--lang` ("es", or "en,es" for a bilingual card); the survey's first by default."""
    if not lang:
        return (survey.languages[0],)
    chosen = tuple(code.strip() for code in lang.split(",") if code.strip())
    for code in chosen:
        if code not in survey.languages:
            known = ", ".join(survey.languages)
            raise CardLanguageError(f'--lang: the survey has no pages in "{code}"; its languages are {known}')
    if not chosen or len(chosen) > MAX_LANGUAGES or len(set(chosen)) != len(chosen):
        raise CardLanguageError(
            f'--lang: "{lang}" is not one language or two different ones (for example "es" or "en,es")'
        )
    return chosen


def branding(survey: Survey, theme: Path | None = None, languages: tuple[str, ...] = ()) -> Branding:
    primary = survey.brand.primary
    return Branding(
        primary=primary,
        on_primary=contrast.text_on(primary),
        accent=primary if contrast.ratio(primary, PAPER_WHITE) >= contrast.AA_TEXT else INK,
        logo=logo_file.load(survey.brand.logo) if survey.brand.logo else None,
        words=tuple(card_words(survey, lang, theme) for lang in languages or survey.languages[:1]),
    )


def card_words(survey: Survey, lang: str, theme: Path | None = None) -> Words:
    """The card's words in `lang`; wowcard's own in English where that language's catalog is missing or
    incomplete (`wowcard build` says so)."""
    try:
        texts = i18n.load(lang, theme)
        return _card_words(survey, lang, texts)
    except i18n.CatalogError:
        return _card_words(survey, lang, i18n.load(i18n.SOURCE_LANGUAGE))


def _card_words(survey: Survey, lang: str, texts: i18n.Texts) -> Words:
    _ = texts.gettext
    return Words(
        lang=lang,
        direction=i18n.direction(lang),
        name=survey.text("brand.name", lang, survey.brand.name),
        tagline=survey.text("brand.tagline", lang, survey.brand.tagline),
        question=i18n.question(survey, texts),
        intro=i18n.intro(texts),
        # Translators: on a business card, over the survey's web address beside the QR code.
        scan_or_visit=_("Scan or visit"),
        # Translators: on a card or counter sign, over its QR code.
        scan_with_camera=_("Scan with your phone camera"),
        # Translators: in the margin of a sheet of ten cards, for whoever prints and cuts them.
        print_note=_("Print at 100 % (actual size), then cut along the marks"),
        # Translators: heading of a sign for staff: the survey page for a tablet on the counter.
        kiosk_title=_("Counter tablet"),
        # Translators: on the kiosk sign for staff, over the QR code and the address of the kiosk page.
        kiosk_steps=_(
            "Open this address on the shop's tablet, add it to the home screen and leave it on its stand. "
            "Customers answer on it; it clears itself after each answer."
        ),
        places={
            loc.id: survey.text(f"locations[{i}].name", lang, loc.name)
            for i, loc in enumerate(survey.locations)
        },
        people={p.id: survey.text(f"staff[{i}].name", lang, p.name) for i, p in enumerate(survey.staff)},
    )
