"""Paper sizes, what `--size` means, the inks cards are printed in, and figures in millimetres."""

from __future__ import annotations

from dataclasses import dataclass

from .. import contrast

SIZES = ("business", "a6", "letter-sheet", "a4-sheet")

FONT_FAMILY = "Helvetica, Arial, 'Liberation Sans', 'Nimbus Sans', sans-serif"
INK = contrast.DARK
MUTED = "#5b5f66"
PAPER_WHITE = "#ffffff"
QR_INK = "#000000"


@dataclass(frozen=True, slots=True)
class Paper:
    name: str
    slug: str  # in file names
    width: float  # mm
    height: float  # mm


A4 = Paper("A4", "a4", 210.0, 297.0)
A5 = Paper("A5", "a5", 148.0, 210.0)
A6 = Paper("A6", "a6", 105.0, 148.0)
LETTER = Paper("Letter", "letter", 215.9, 279.4)
BUSINESS = Paper("business card", "business", 85.0, 55.0)
US_BUSINESS = Paper("US business card", "us-business", 88.9, 50.8)


@dataclass(frozen=True, slots=True)
class Size:
    """What `--size` means: the card, the paper it is printed on, and the counter sign that goes with it."""

    name: str
    card: Paper
    sheet: Paper | None  # None: one card per page, the page is the card
    columns: int
    rows: int
    sign: Paper

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


SIZE_TABLE = {
    "business": Size("business", BUSINESS, None, 1, 1, A5),
    "a6": Size("a6", A6, None, 1, 1, A5),
    "a4-sheet": Size("a4-sheet", BUSINESS, A4, 2, 5, A5),
    "letter-sheet": Size("letter-sheet", US_BUSINESS, LETTER, 2, 5, LETTER),
}


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def bottom(self) -> float:
        return self.y + self.h


def num(value: float) -> str:
    """A millimetre figure for SVG/CSS: three decimals at most, no trailing zeros (stable bytes)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
