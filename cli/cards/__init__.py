"""Printable wow cards and counter signs: the public URLs they point at (`targets`), their QR codes (`qr`),
the card art laid out in millimetres (`art`, with text fitted by font metrics in `text`, so names of any
allowed length shrink or wrap instead of overflowing), and the documents they are printed from (`sheets`
with crop marks at exact paper sizes, `documents` as SVG, HTML or PDF through Chromium in `wowcard.pdf`).

The art is the single source for every format: `--format svg` writes it as files, html and pdf place the
same SVG on pages sized with CSS `@page` and millimetres.
"""

from .art import Art, PlacedLogo, Shape, card_art, landscape_card, portrait_art, sign_art
from .branding import Branding, branding, card_words
from .documents import FORMATS, Renderer, Written, make_cards, theme_folder
from .paper import (
    A4,
    A5,
    A6,
    BUSINESS,
    FONT_FAMILY,
    INK,
    LETTER,
    MUTED,
    PAPER_WHITE,
    QR_INK,
    SIZE_TABLE,
    SIZES,
    US_BUSINESS,
    Box,
    Paper,
    Size,
    num,
)
from .qr import QR_ERROR, QUIET_ZONE, PlacedQr, QrCode, qr_code
from .sheets import Line, Page, Slot, card_pages, sheet_page, sign_pages
from .targets import PER, SOURCES, NoPublicUrl, Target, page_path, public_site_url, short_url, targets
from .text import Part, TextBlock, char_width, fit_stack, fit_text, text_width

__all__ = [
    "A4",
    "A5",
    "A6",
    "BUSINESS",
    "FONT_FAMILY",
    "FORMATS",
    "INK",
    "LETTER",
    "MUTED",
    "PAPER_WHITE",
    "PER",
    "QR_ERROR",
    "QR_INK",
    "QUIET_ZONE",
    "SIZES",
    "SIZE_TABLE",
    "SOURCES",
    "US_BUSINESS",
    "Art",
    "Box",
    "Branding",
    "Line",
    "PlacedLogo",
    "NoPublicUrl",
    "Page",
    "Paper",
    "Part",
    "PlacedQr",
    "QrCode",
    "Renderer",
    "Shape",
    "Size",
    "Slot",
    "Target",
    "TextBlock",
    "Written",
    "branding",
    "card_art",
    "card_pages",
    "card_words",
    "char_width",
    "fit_stack",
    "fit_text",
    "landscape_card",
    "make_cards",
    "num",
    "page_path",
    "portrait_art",
    "public_site_url",
    "qr_code",
    "sheet_page",
    "short_url",
    "sign_art",
    "sign_pages",
    "targets",
    "text_width",
    "theme_folder",
]
