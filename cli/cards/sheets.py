"""Pages to print: a sheet of cards centred on the paper with crop marks, or one card or sign per page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .. import i18n
from .art import Art
from .paper import MUTED, Box, Paper, Size, num
from .text import TextBlock, fit_text


@dataclass(frozen=True, slots=True)
class Slot:
    art: Art
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True, slots=True)
class Page:
    width: float
    height: float
    slots: tuple[Slot, ...]
    marks: tuple[Line, ...] = ()
    captions: tuple[TextBlock, ...] = ()


CROP_OFFSET, CROP_LENGTH = 1.5, 5.0  # mm: marks stop short of the card so none is printed on it


def sheet_page(
    art: Art, paper: Paper, columns: int, rows: int, caption: str, note: str, direction: str = "ltr"
) -> Page:
    """`columns` × `rows` copies of one card, centred on the paper, with crop marks in the margins."""
    grid_w, grid_h = columns * art.width, rows * art.height
    left, top = (paper.width - grid_w) / 2, (paper.height - grid_h) / 2
    if left < 0 or top < 0:
        raise ValueError(f"{columns}×{rows} cards of {art.width}×{art.height} mm do not fit on {paper.name}")
    slots = tuple(
        Slot(art, left + c * art.width, top + r * art.height) for r in range(rows) for c in range(columns)
    )
    length_v = min(CROP_LENGTH, top - CROP_OFFSET - 2.5)
    length_h = min(CROP_LENGTH, left - CROP_OFFSET - 2.5)
    marks: list[Line] = []
    for c in range(columns + 1):
        x = left + c * art.width
        marks.append(Line(x, top - CROP_OFFSET - length_v, x, top - CROP_OFFSET))
        marks.append(Line(x, top + grid_h + CROP_OFFSET, x, top + grid_h + CROP_OFFSET + length_v))
    for r in range(rows + 1):
        y = top + r * art.height
        marks.append(Line(left - CROP_OFFSET - length_h, y, left - CROP_OFFSET, y))
        marks.append(Line(left + grid_w + CROP_OFFSET, y, left + grid_w + CROP_OFFSET + length_h, y))
    band = Box(left + 2, top - CROP_OFFSET - length_v, art.width - 4, length_v)
    captions = (
        fit_text(
            "caption", caption, band, max_size=2.2, min_size=1.5, fill=MUTED, valign="middle", max_lines=1
        ),
        fit_text(
            "caption",
            note,
            Box(band.x + art.width, band.y, band.w, band.h),
            max_size=2.2,
            min_size=1.5,
            fill=MUTED,
            anchor="end",
            direction=direction,
            valign="middle",
            max_lines=1,
        ),
    )
    return Page(paper.width, paper.height, slots, tuple(marks), captions if columns > 1 else ())


def card_pages(
    arts: Iterable[Art], size: Size, brand_name: str, note: str | None = None, direction: str = "ltr"
) -> list[Page]:
    """The pages of cards; `note` is the printing advice in a sheet's margin (Branding.print_note)."""
    if note is None:
        note = i18n.load(i18n.SOURCE_LANGUAGE).gettext(
            "Print at 100 % (actual size), then cut along the marks"
        )
    pages = []
    for art in arts:
        if size.sheet is None:
            pages.append(Page(art.width, art.height, (Slot(art, 0, 0),)))
            continue
        who = art.target.location.name
        if art.target.staff:
            who = f"{art.target.staff.name}, {who}"
        caption = f"{brand_name} \u00b7 {who} \u00b7 {num(art.width)} \u00d7 {num(art.height)} mm"
        pages.append(sheet_page(art, size.sheet, size.columns, size.rows, caption, note, direction))
    return pages


def sign_pages(arts: Iterable[Art]) -> list[Page]:
    return [Page(art.width, art.height, (Slot(art, 0, 0),)) for art in arts]
