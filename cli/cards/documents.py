"""The documents cards are printed from: SVG files, or HTML and PDF pages of sheets and signs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from .. import render
from ..collector.survey import Survey
from .art import Art, card_art, sign_art
from .branding import branding
from .paper import FONT_FAMILY, QR_INK, SIZE_TABLE, SIZES, Size, num
from .sheets import Page, card_pages, sign_pages
from .targets import PER, SOURCES, public_site_url, targets

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

    def document(self, pages: Sequence[Page], title: str, page_label: str, lang: str) -> str:
        css, _ = render.source(self.env, "cards.css")
        context = self._context(
            pages=pages,
            title=title,
            page_label=page_label,
            lang=lang,
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
) -> list[Written]:
    """Write the cards and the counter signs of a survey; NoPublicUrl when it has no public address.
    `site_url` overrides survey.toml's (the address of a deployed stage)."""
    for name, value, allowed in (
        ("per", per, PER),
        ("size", size, SIZES),
        ("fmt", fmt, FORMATS),
        ("src", src, SOURCES),
    ):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    site = public_site_url(survey, site_url)
    spec = SIZE_TABLE[size]
    theme = theme_folder(survey, templates)
    brand = branding(survey, theme)
    cards = [card_art(brand, target, spec) for target in targets(survey, per, src, site)]
    signs = [sign_art(brand, target, spec.sign) for target in targets(survey, "location", "sign", site)]
    out = out if out is not None else survey.output / "cards"
    out.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(theme)
    if fmt == "svg":
        return _write_svgs(renderer, cards, signs, spec, out)
    lang = survey.languages[0]
    card_doc = renderer.document(
        card_pages(cards, spec, brand.name, brand.print_note), f"{brand.name}: wow cards", "Sheet", lang
    )
    sign_doc = renderer.document(sign_pages(signs), f"{brand.name}: counter signs", "Sign", lang)
    card_file = out / f"cards-{per}-{spec.name}.{fmt}"
    sign_file = out / f"signs-{spec.sign.slug}.{fmt}"
    if fmt == "html":
        card_file.write_text(card_doc, encoding="utf-8")
        sign_file.write_text(sign_doc, encoding="utf-8")
    else:
        from .. import pdf

        pdf.html_to_pdf([(card_doc, card_file), (sign_doc, sign_file)])
    return [
        Written(card_file, _card_summary(cards, spec, per)),
        Written(sign_file, f"{_count(len(signs), 'counter sign')}, {spec.sign.name}"),
    ]


def _write_svgs(
    renderer: Renderer, cards: list[Art], signs: list[Art], spec: Size, out: Path
) -> list[Written]:
    written = []
    for art in [*cards, *signs]:
        target = art.target
        folder = out / target.location.id
        if art.kind == "card" and target.staff:
            folder = folder / "s" / target.staff.id
        name = f"card-{spec.card.slug}.svg" if art.kind == "card" else f"sign-{spec.sign.slug}.svg"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{renderer.svg(art)}\n', encoding="utf-8")
        paper = spec.card if art.kind == "card" else spec.sign
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
