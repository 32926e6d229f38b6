"""The documents cards are printed from: SVG files, or HTML and PDF pages of sheets and signs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from .. import render
from ..collector.survey import Survey
from .art import Art, card_art, sign_art
from .branding import branding, card_languages
from .kiosk import kiosk_art
from .paper import FONT_FAMILY, QR_INK, SIZE_TABLE, SIZES, Size, num
from .sheets import Page, card_pages, sign_pages
from .targets import PER, SOURCES, kiosk_targets, public_site_url, targets

FORMATS = ("html", "pdf", "svg")


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    what: str


class Renderer:
    """The card templates of one theme; each distinct art is rendered once however often it is printed."""

    def __init__(self, theme: Path | None):
        self.env = render.environment(theme)
        self._svg: dict[Art, Markup] = {}

    def _context(self, **extra: object) -> dict[str, object]:
        return {
            "n": num,
            "n6": lambda v: f"{v:.6f}".rstrip("0").rstrip("."),
            "font_family": FONT_FAMILY,
            "qr_ink": QR_INK,
            **extra,
        }

    def svg(self, art: Art) -> Markup:
        if art not in self._svg:
            markup = render.render(render.template(self.env, "card.html"), self._context(art=art))
            self._svg[art] = Markup(markup.strip())
        return self._svg[art]

    def document(
        self, pages: Sequence[Page], title: str, page_label: str, lang: str, direction: str = "ltr"
    ) -> str:
        css, _ = render.source(self.env, "cards.css")
        context = self._context(
            pages=pages,
            title=title,
            page_label=page_label,
            lang=lang,
            dir=direction,
            css=Markup(css),
            svg=self.svg,
            page_width=pages[0].width,
            page_height=pages[0].height,
        )
        return render.render(render.template(self.env, "sheet.html"), context)


def theme_folder(survey: Survey, templates: Path | None) -> Path | None:
    """`--templates`, else a templates/ folder beside survey.toml, as `wowcard build` finds it."""
    if templates:
        return templates
    beside = survey.folder / "templates"
    return beside if beside.is_dir() else None


def make_cards(
    survey: Survey,
    *,
    per: str = "location",
    size: str = "a4-sheet",
    fmt: str = "pdf",
    src: str = "card",
    out: Path | None = None,
    site_url: str | None = None,
    templates: Path | None = None,
    lang: str | None = None,
    kiosk: bool = False,
) -> list[Written]:
    """Write the cards and the counter signs of a survey in `lang` (one language, or two: "en,es"; default
    the survey's first), and with `kiosk` a kiosk sign per location. NoPublicUrl when the survey has no
    public address, CardLanguageError for a `lang` it has no pages in. `site_url` overrides survey.toml's
    (the address of a deployed stage)."""
    for name, value, allowed in (
        ("per", per, PER),
        ("size", size, SIZES),
        ("fmt", fmt, FORMATS),
        ("src", src, SOURCES),
    ):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    site = public_site_url(survey, site_url)
    languages = card_languages(survey, lang)
    spec = SIZE_TABLE[size]
    theme = theme_folder(survey, templates)
    brand = branding(survey, theme, languages)
    cards = [card_art(brand, target, spec) for target in targets(survey, per, src, site, languages)]
    signs = [
        sign_art(brand, target, spec.sign) for target in targets(survey, "location", "sign", site, languages)
    ]
    kiosks = (
        [kiosk_art(brand, target, spec.sign) for target in kiosk_targets(survey, site, languages)]
        if kiosk
        else []
    )
    out = out if out is not None else survey.output / "cards"
    out.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(theme)
    suffix = "" if languages == survey.languages[:1] else "-" + "-".join(languages)
    if fmt == "svg":
        return _write_svgs(renderer, [*cards, *signs, *kiosks], spec, out, suffix)
    first = brand.first
    documents = [
        (
            card_pages(cards, spec, brand.name, brand.print_note, brand.direction),
            f"{brand.name}: wow cards",
            "Sheet",
            out / f"cards-{per}-{spec.name}{suffix}.{fmt}",
            _card_summary(cards, spec, per),
        ),
        (
            sign_pages(signs),
            f"{brand.name}: counter signs",
            "Sign",
            out / f"signs-{spec.sign.slug}{suffix}.{fmt}",
            f"{_count(len(signs), 'counter sign')}, {spec.sign.name}",
        ),
    ]
    if kiosks:
        documents.append(
            (
                sign_pages(kiosks),
                f"{brand.name}: {first.kiosk_title}",
                first.kiosk_title,
                out / f"kiosk-{spec.sign.slug}{suffix}.{fmt}",
                f"{_count(len(kiosks), 'kiosk sign')} for setting up a counter tablet, {spec.sign.name}",
            )
        )
    rendered = [
        (renderer.document(pages, title, label, first.lang, first.direction), path)
        for pages, title, label, path, _ in documents
    ]
    if fmt == "html":
        for html, path in rendered:
            path.write_text(html, encoding="utf-8")
    else:
        from .. import pdf

        pdf.html_to_pdf(rendered)
    return [Written(path, what) for _, _, _, path, what in documents]


def _write_svgs(renderer: Renderer, arts: list[Art], spec: Size, out: Path, suffix: str) -> list[Written]:
    written = []
    for art in arts:
        target = art.target
        folder = out / target.location.id
        if art.kind == "card" and target.staff:
            folder = folder / "s" / target.staff.id
        paper = spec.card if art.kind == "card" else spec.sign
        path = folder / f"{art.kind}-{paper.slug}{suffix}.svg"
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{renderer.svg(art)}\n', encoding="utf-8")
        written.append(Written(path, f"{art.kind}, {num(paper.width)} \u00d7 {num(paper.height)} mm"))
    return written


def _card_summary(cards: list[Art], spec: Size, per: str) -> str:
    card = f"{num(spec.card.width)} \u00d7 {num(spec.card.height)} mm"
    if spec.sheet is None:
        return f"{_count(len(cards), 'card')} of {card}, one per page"
    each = "one per location" if per == "location" else "one per staff member and location"
    return (
        f"{_count(len(cards), spec.sheet.name + ' sheet')} ({each}), {spec.per_sheet} cards of {card} "
        "on each, with crop marks"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
